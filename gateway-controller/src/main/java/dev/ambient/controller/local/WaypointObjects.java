package dev.ambient.controller.local;

import dev.ambient.controller.gateway.GatewayStatuses;
import dev.ambient.controller.gateway.WaypointGateway;
import dev.ambient.controller.kube.KubeTranslator;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import java.util.Map;

/**
 * The Pod and Service a local waypoint stands for. In a cluster the controller renders a Deployment
 * and a Service and the translation reads them back; locally the same shapes are made from the
 * waypoint process's placement, so {@link KubeTranslator} treats both modes alike: the Pod
 * terminates HBONE itself (label {@value KubeTranslator#MANAGED}) with the Gateway's service
 * account, and the Service (no VIP: ztunnels pick the waypoint by its endpoints) is marked as the
 * Gateway's so it is never sent through a waypoint itself.
 */
public final class WaypointObjects {
  private WaypointObjects() {}

  public static Pod pod(WaypointGateway gw, LocalWaypoints.Placement placement) {
    return new PodBuilder()
        .withNewMetadata()
        .withNamespace(gw.namespace())
        .withName(gw.name() + "-waypoint")
        .addToLabels(KubeTranslator.GATEWAY_NAME, gw.name())
        .addToLabels(KubeTranslator.MANAGED, KubeTranslator.MANAGED_BY_US)
        .endMetadata()
        .withNewSpec()
        .withNodeName(placement.node())
        .withServiceAccountName(gw.serviceAccount())
        .endSpec()
        .withNewStatus()
        .withPhase("Running")
        .withPodIP(placement.address())
        .addNewPodIP(placement.address())
        .endStatus()
        .build();
  }

  /** The Gateway's Service; {@code placement} null while the waypoint does not serve. */
  public static Service service(WaypointGateway gw, LocalWaypoints.Placement placement) {
    return new ServiceBuilder()
        .withNewMetadata()
        .withNamespace(gw.namespace())
        .withName(gw.name())
        .addToLabels(KubeTranslator.GATEWAY_NAME, gw.name())
        .endMetadata()
        .withNewSpec()
        .withClusterIP(placement == null ? "None" : placement.serviceVip())
        .withSelector(Map.of(KubeTranslator.GATEWAY_NAME, gw.name()))
        .addNewPort()
        .withName("mesh")
        .withPort(GatewayStatuses.HBONE_PORT)
        .withNewTargetPort(GatewayStatuses.HBONE_PORT)
        .endPort()
        .endSpec()
        .build();
  }
}
