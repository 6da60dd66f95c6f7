package dev.ambient.controller.waypoint;

import java.util.Objects;

/**
 * Something of an HTTPRoute the waypoint does not apply as written, for the route's status: the
 * route ({@code <namespace>/<name>}), the field ({@code spec.rules[1].filters[0]}) and why.
 */
public record RouteProblem(String route, String field, String reason) {
  public RouteProblem {
    Objects.requireNonNull(route, "route");
    Objects.requireNonNull(field, "field");
    Objects.requireNonNull(reason, "reason");
  }

  @Override
  public String toString() {
    return route + ": " + field + ": " + reason;
  }
}
