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

  /** A serving waypoint's placement: its address and the node whose ztunnel is next to it. */
  record Placement(String address, String node) {}

  /** One waypoint's state: a placement when it serves, else the reason it does not. */
  record State(Placement placement, String notServingReason) {
    public static State serving(String address, String node) {
      return new State(new Placement(address, node), null);
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
   * @return each wanted waypoint's state, by {@link WaypointGateway#nodeId()}
   */
  Map<String, State> reconcile(List<WaypointGateway> wanted);

  @Override
  void close();

  /** No waypoint processes: every waypoint Gateway is reported not serving, with the reason. */
  static LocalWaypoints disabled(String reason) {
    return new LocalWaypoints() {
      @Override
      public Map<String, State> reconcile(List<WaypointGateway> wanted) {
        Map<String, State> out = new LinkedHashMap<>();
        for (WaypointGateway gw : wanted) {
          out.put(gw.nodeId(), State.notServing(reason));
        }
        return out;
      }

      @Override
      public void close() {}
    };
  }
}
