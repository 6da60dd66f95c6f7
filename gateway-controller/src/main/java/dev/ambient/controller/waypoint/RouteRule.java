package dev.ambient.controller.waypoint;

import java.util.List;
import java.util.Objects;

/**
 * One route of a service's table, in the order Envoy tries them (the caller sorts by Gateway API
 * precedence): all matches must hold; the request then goes to one of the weighted backends with
 * the request header modifier applied.
 *
 * @param method an HTTP method, or {@code null} for any
 */
public record RouteRule(
    String name,
    PathMatch path,
    List<HeaderMatch> headers,
    String method,
    List<WeightedBackend> backends,
    HeaderModifier requestHeaders) {
  public RouteRule {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(path, "path");
    headers = List.copyOf(headers);
    backends = List.copyOf(backends);
    requestHeaders = requestHeaders == null ? HeaderModifier.NONE : requestHeaders;
    if (backends.isEmpty()) {
      throw new IllegalArgumentException("route " + name + ": field backends: empty");
    }
  }

  /** The "no route" default of a waypoint: everything to the service itself. */
  public static RouteRule toSelf(BackendRef self) {
    return new RouteRule(
        "default",
        PathMatch.any(),
        List.of(),
        null,
        List.of(new WeightedBackend(self, 1)),
        HeaderModifier.NONE);
  }
}
