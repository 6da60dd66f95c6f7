package dev.ambient.ztunnel.outbound;

import dev.ambient.api.model.Service;
import dev.ambient.api.model.Workload;
import dev.ambient.api.spiffe.SpiffeId;
import java.net.InetSocketAddress;
import java.util.Set;

/** Where one outbound connection goes, decided by {@link OutboundRouter}. */
public sealed interface Route {

  /**
   * HBONE straight to the destination workload's ztunnel.
   *
   * @param target the workload address and target port (the tunnel's {@code :authority})
   * @param service the service when the client dialled a VIP, else {@code null}
   */
  record Hbone(
      InetSocketAddress hboneAddress,
      InetSocketAddress target,
      Set<SpiffeId> expectedIdentities,
      Workload destination,
      Service service)
      implements Route {
    public Hbone {
      expectedIdentities = Set.copyOf(expectedIdentities);
    }
  }

  /**
   * HBONE to a waypoint, which then picks the destination.
   *
   * @param authority the address the client dialled (service VIP:port or pod ip:port)
   * @param destination the pod when the client dialled a pod address, else {@code null}
   */
  record ViaWaypoint(
      InetSocketAddress hboneAddress,
      InetSocketAddress authority,
      Set<SpiffeId> expectedIdentities,
      Workload waypoint,
      Workload destination,
      Service service)
      implements Route {
    public ViaWaypoint {
      expectedIdentities = Set.copyOf(expectedIdentities);
    }
  }

  /**
   * Plain TCP: the destination is not in the mesh (or not known at all).
   *
   * @param destination the workload when known, else {@code null}
   */
  record Passthrough(InetSocketAddress target, Workload destination, Service service)
      implements Route {}

  /** The connection cannot be served; {@code reason} names the object and field. */
  record Reject(String reason) implements Route {}
}
