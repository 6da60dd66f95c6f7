package dev.ambient.ztunnel.testing;

import dev.ambient.api.model.GatewayAddress;
import dev.ambient.api.model.InvalidMeshConfigException;
import dev.ambient.api.model.LoadBalancing;
import dev.ambient.api.model.MeshConfig;
import dev.ambient.api.model.MeshState;
import dev.ambient.api.model.Service;
import dev.ambient.api.model.ServicePort;
import dev.ambient.api.model.TunnelProtocol;
import dev.ambient.api.model.Workload;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Small builders for mesh state in tests. */
public final class TestMesh {
  public static final String TRUST_DOMAIN = "cluster.local";

  private TestMesh() {}

  public static Workload workload(String name, String node, InetAddress ip) {
    return workload(name, node, ip, TunnelProtocol.HBONE, null);
  }

  public static Workload workload(
      String name, String node, InetAddress ip, TunnelProtocol protocol, GatewayAddress waypoint) {
    return new Workload(
        "test//Pod/default/" + name,
        name,
        "default",
        name + "-sa",
        node,
        TRUST_DOMAIN,
        List.of(ip),
        protocol,
        waypoint,
        name,
        null,
        Map.of("app", name));
  }

  public static Service service(
      String host, InetAddress vip, int port, int targetPort, LoadBalancing lb, Workload... eps) {
    List<String> uids = new ArrayList<>();
    for (Workload w : eps) {
      uids.add(w.uid());
    }
    return new Service(
        host,
        "default",
        host + ".default.svc.cluster.local",
        List.of(vip),
        List.of(new ServicePort(port, targetPort)),
        uids,
        lb,
        null,
        List.of());
  }

  public static MeshState state(List<Workload> workloads, List<Service> services) {
    try {
      return MeshState.of(new MeshConfig(workloads, services, List.of()), System.nanoTime());
    } catch (InvalidMeshConfigException e) {
      throw new IllegalArgumentException(e);
    }
  }
}
