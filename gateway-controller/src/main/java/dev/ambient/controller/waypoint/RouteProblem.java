package dev.ambient.controller.waypoint;

import java.util.Objects;

/**
 * Something of a route the waypoint does not apply as written, for the route's status: the route
 * ({@code <namespace>/<name>}), the field ({@code spec.rules[1].filters[0]}), why, and the route's
 * kind ({@code HTTPRoute} or {@code GRPCRoute}: routes of both kinds may share a name).
 */
public record RouteProblem(String route, String field, String reason, String kind) {
  public static final String HTTP_ROUTE = "HTTPRoute";
  public static final String GRPC_ROUTE = "GRPCRoute";

  public RouteProblem {
    Objects.requireNonNull(route, "route");
    Objects.requireNonNull(field, "field");
    Objects.requireNonNull(reason, "reason");
    Objects.requireNonNull(kind, "kind");
  }

  /** A problem of an HTTPRoute. */
  public RouteProblem(String route, String field, String reason) {
    this(route, field, reason, HTTP_ROUTE);
  }

  @Override
  public String toString() {
    return (kind.equals(HTTP_ROUTE) ? "" : kind + " ") + route + ": " + field + ": " + reason;
  }
}
