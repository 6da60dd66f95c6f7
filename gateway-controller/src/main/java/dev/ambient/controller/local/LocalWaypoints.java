package dev.ambient.controller.local;

import dev.ambient.controller.gateway.WaypointGateway;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs the local waypoints: one per waypoint Gateway in the store. The local source calls {@link
 * #reconcile} with the wanted set on every pass (level-triggered); what it answers becomes the
 * Gateways' status and, for serving waypoints, the waypoint Pod and Service the mesh gets.
 */
public interface LocalWaypoints extends AutoCloseable {

  /**
   * A serving waypoint's placement: its address, the node whose ztunnel is next to it, and the
   * address its Service gets (the waypoint translation needs the Gateway's Service to have one, as
   * a cluster's ClusterIP; it is never routed, ztunnels reach the waypoint by its own address).
   */
  record Placement(String address, String node, String serviceVip) {}

  /** One waypoint's state: a placement when it serves, else the reason it does not. */
  record State(Placement placement, String notServingReason) {
    public static State serving(String address, String node, String serviceVip) {
      return new State(new Placement(address, node, serviceVip), null);
    }

    public static State notServing(String reason) {
      return new State(null, reason);
    }

    public LocalGatewayStatus.Waypoint asStatus() {
      return placement != null
          ? LocalGatewayStatus.Waypoint.serving(placement.address())
          : LocalGatewayStatus.Waypoint.notServing(notServingReason);
    }
  }

  /**
   * Starts the wanted waypoints that do not run, stops those no longer wanted.
   *
   * @param taken addresses the store's pods have (a new waypoint must not take one)
   * @return each wanted waypoint's state, by {@link WaypointGateway#nodeId()}
   */
  Map<String, State> reconcile(List<WaypointGateway> wanted, java.util.Set<String> taken);

  /**
   * Whether something changed that the store does not show (a waypoint process exited), so the
   * source runs a pass even though no file changed. Checked at every poll; must be cheap.
   */
  default boolean changed() {
    return false;
  }

  @Override
  void close();

  /** No waypoint processes: every waypoint Gateway is reported not serving, with the reason. */
  static LocalWaypoints disabled(String reason) {
    return new LocalWaypoints() {
      private final java.util.Set<String> told = new java.util.HashSet<>();

      @Override
      public Map<String, State> reconcile(
          List<WaypointGateway> wanted, java.util.Set<String> taken) {
        Map<String, State> out = new LinkedHashMap<>();
        for (WaypointGateway gw : wanted) {
          out.put(gw.nodeId(), State.notServing(reason));
          if (told.add(gw.nodeId())) {
            org.slf4j.LoggerFactory.getLogger(LocalWaypoints.class)
                .warn("waypoint Gateway {} does not run: {}", gw.nodeId(), reason);
          }
        }
        told.retainAll(out.keySet());
        return out;
      }

      @Override
      public void close() {}
    };
  }
}
