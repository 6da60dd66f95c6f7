package dev.ambient.controller.ca;

import dev.ambient.api.model.MeshConfig;
import dev.ambient.api.model.MeshState;
import dev.ambient.api.model.TunnelProtocol;
import dev.ambient.api.model.Workload;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/** Test-only: mesh states with a few workloads, built from the records directly. */
final class MeshStates {
  private static final AtomicInteger NEXT_IP = new AtomicInteger(1);

  private MeshStates() {}

  static Workload workload(String namespace, String serviceAccount, String node) {
    return workload("cluster.local", namespace, serviceAccount, node);
  }

  static Workload workload(
      String trustDomain, String namespace, String serviceAccount, String node) {
    int n = NEXT_IP.getAndIncrement();
    String name = serviceAccount + "-" + n;
    try {
      return new Workload(
          "Kubernetes//Pod/" + namespace + "/" + name,
          name,
          namespace,
          serviceAccount,
          node,
          trustDomain,
          List.of(InetAddress.getByName("10.1." + (n / 250) + "." + (n % 250 + 1))),
          TunnelProtocol.HBONE,
          null,
          null,
          null,
          Map.of());
    } catch (UnknownHostException e) {
      throw new IllegalStateException(e);
    }
  }

  static MeshState of(Workload... workloads) {
    try {
      return MeshState.of(new MeshConfig(List.of(workloads), List.of(), List.of()), 1);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
