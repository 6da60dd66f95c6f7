package dev.ambient.controller.waypoint;

import java.util.Set;

/**
 * Gateway API {@code RequestRedirect}: the waypoint answers with {@code statusCode} and a Location
 * built from the request with the given parts replaced ({@code null} = keep).
 *
 * @param port the port to redirect to, or {@code null}: then the scheme's well-known port when
 *     {@code scheme} is set, else the service port (Gateway API's derivation rules)
 */
public record Redirect(
    String scheme, String hostname, PathModifier path, Integer port, int statusCode) {
  /** Envoy can answer these (RedirectAction's response codes). */
  public static final Set<Integer> STATUS_CODES = Set.of(301, 302, 303, 307, 308);

  public Redirect {
    if (scheme != null && !scheme.equals("http") && !scheme.equals("https")) {
      throw new IllegalArgumentException("redirect: scheme must be http or https: " + scheme);
    }
    if (port != null && (port < 1 || port > 65535)) {
      throw new IllegalArgumentException("redirect: port out of range: " + port);
    }
    if (!STATUS_CODES.contains(statusCode)) {
      throw new IllegalArgumentException(
          "redirect: statusCode " + statusCode + " is not one of 301, 302, 303, 307, 308");
    }
  }
}
