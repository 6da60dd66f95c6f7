package dev.ambient.controller.local;

import dev.ambient.controller.gateway.GatewayStatuses;
import dev.ambient.controller.status.Conditions;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.Gateway;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.GatewayStatus;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.ListenerStatus;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * The status of a local waypoint Gateway: Accepted as the cluster mode judges it ({@link
 * GatewayStatuses#invalidReason}), Programmed with the waypoint process's address once it runs, or
 * Programmed=False with the reason it does not (no root, say).
 */
public final class LocalGatewayStatus {
  private LocalGatewayStatus() {}

  /** How the waypoint of a Gateway is doing: its address when it serves, else why not. */
  public record Waypoint(String address, String notServingReason) {
    public static Waypoint serving(String address) {
      return new Waypoint(address, null);
    }

    public static Waypoint notServing(String reason) {
      return new Waypoint(null, reason);
    }
  }

  public static GatewayStatus of(Gateway g, Waypoint waypoint, Instant now) {
    Long gen = g.getMetadata().getGeneration();
    List<Condition> prev = g.getStatus() == null ? null : g.getStatus().getConditions();
    Optional<String> invalid = GatewayStatuses.invalidReason(g);
    Condition accepted = GatewayStatuses.accepted(invalid, gen);
    boolean serving = invalid.isEmpty() && waypoint != null && waypoint.address() != null;
    Condition programmed;
    if (invalid.isPresent()) {
      programmed = Conditions.of("Programmed", false, "Invalid", "Gateway is not accepted", gen);
    } else if (serving) {
      programmed =
          Conditions.of(
              "Programmed",
              true,
              "Programmed",
              "Waypoint process serving at " + waypoint.address(),
              gen);
    } else {
      programmed =
          Conditions.of(
              "Programmed",
              false,
              "Pending",
              waypoint == null ? "Waypoint not started yet" : waypoint.notServingReason(),
              gen);
    }
    GatewayStatus out =
        GatewayStatuses.status(
            accepted,
            programmed,
            prev,
            now,
            serving ? List.of(waypoint.address()) : List.<String>of());
    // Listener status is left out locally: a waypoint has its one HBONE listener, and Accepted
    // already says when it is missing.
    out.setListeners(List.<ListenerStatus>of());
    return out;
  }
}
