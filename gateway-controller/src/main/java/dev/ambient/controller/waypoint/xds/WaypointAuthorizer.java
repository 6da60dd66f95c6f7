package dev.ambient.controller.waypoint.xds;

import java.util.Objects;
import java.util.Optional;

/**
 * Cluster mode's rule for the waypoint ADS: a caller authenticated as service account {@code
 * <ns>/<sa>} (TokenReview) may ask for node {@code <ns>/<gateway>} only if the {@link
 * WaypointRegistry} says that Gateway's waypoint runs as exactly that account. The configuration
 * names every service the waypoint fronts, so it goes to that waypoint's pods only.
 */
public final class WaypointAuthorizer {
  private final WaypointRegistry registry;

  public WaypointAuthorizer(WaypointRegistry registry) {
    this.registry = Objects.requireNonNull(registry, "registry");
  }

  /** Empty if {@code serviceAccount} may have node {@code nodeId}'s configuration, else why not. */
  public Optional<String> denial(String serviceAccount, String nodeId) {
    if (serviceAccount == null) {
      return Optional.of("no authenticated service account");
    }
    if (nodeId == null || nodeId.isEmpty()) {
      return Optional.of("the request names no node id");
    }
    int slash = nodeId.indexOf('/');
    if (slash <= 0 || slash == nodeId.length() - 1 || nodeId.indexOf('/', slash + 1) >= 0) {
      return Optional.of("node id \"" + nodeId + "\" is not <namespace>/<gateway name>");
    }
    Optional<String> expected;
    try {
      expected = registry.serviceAccountOf(nodeId);
    } catch (RuntimeException e) {
      return Optional.of("waypoint registry failed for node " + nodeId + ": " + e.getMessage());
    }
    if (expected.isEmpty()) {
      return Optional.of("no waypoint " + nodeId + " is known");
    }
    if (!expected.get().equals(serviceAccount)) {
      return Optional.of(
          "service account "
              + serviceAccount
              + " is not the account of waypoint "
              + nodeId
              + " ("
              + expected.get()
              + ")");
    }
    return Optional.empty();
  }
}
