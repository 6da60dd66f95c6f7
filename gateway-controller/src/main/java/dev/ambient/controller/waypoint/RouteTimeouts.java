package dev.ambient.controller.waypoint;

import java.time.Duration;

/**
 * Gateway API {@code HTTPRouteTimeouts}. {@code null} or zero {@code request} means no timeout for
 * the whole request (GAMMA: streams may be long); {@code backendRequest} bounds each attempt to a
 * backend.
 */
public record RouteTimeouts(Duration request, Duration backendRequest) {
  public static final RouteTimeouts NONE = new RouteTimeouts(null, null);

  public RouteTimeouts {
    if (request != null && request.isNegative()) {
      throw new IllegalArgumentException("timeouts.request: negative");
    }
    if (backendRequest != null && backendRequest.isNegative()) {
      throw new IllegalArgumentException("timeouts.backendRequest: negative");
    }
    if (request != null
        && !request.isZero()
        && backendRequest != null
        && backendRequest.compareTo(request) > 0) {
      throw new IllegalArgumentException(
          "timeouts.backendRequest " + backendRequest + " exceeds timeouts.request " + request);
    }
  }
}
