package dev.ambient.controller.waypoint.authz;

import java.util.List;
import java.util.Objects;

/**
 * One {@code when} condition: the attribute must match one of {@code values} (when given) and none
 * of {@code notValues}. Values are validated for their key (principals without {@code spiffe://},
 * CIDRs, ports).
 *
 * @param header the header name for {@link Key#REQUEST_HEADER}, lower case; else null
 */
public record L7Condition(Key key, String header, List<String> values, List<String> notValues) {
  /** The condition keys a waypoint evaluates. */
  public enum Key {
    REQUEST_HEADER,
    SOURCE_PRINCIPAL,
    SOURCE_NAMESPACE,
    SOURCE_IP,
    REMOTE_IP,
    DESTINATION_IP,
    DESTINATION_PORT,
    /**
     * {@code request.auth.*}: JWT attributes. No JWT filter runs, so the attribute is always
     * absent: {@code values} never match, {@code notValues} always hold.
     */
    REQUEST_AUTH
  }

  public L7Condition {
    Objects.requireNonNull(key, "key");
    values = List.copyOf(values);
    notValues = List.copyOf(notValues);
  }

  /** Whether a TCP listener cannot evaluate it. */
  public boolean isL7() {
    return key == Key.REQUEST_HEADER || key == Key.REQUEST_AUTH;
  }
}
