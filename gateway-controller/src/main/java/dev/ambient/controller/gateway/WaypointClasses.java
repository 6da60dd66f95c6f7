package dev.ambient.controller.gateway;

import dev.ambient.controller.routes.MeshRouteStatus;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.Gateway;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.GatewayClass;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Which GatewayClasses and Gateways are ours. A class is ours when its {@code controllerName} is
 * {@value MeshRouteStatus#CONTROLLER_NAME}; {@code deploy/} installs two such classes, {@code
 * ambient-waypoint} and {@code istio-waypoint} (so Gateways written for Istio carry over). Every
 * Gateway of such a class is a waypoint.
 */
public final class WaypointClasses {
  public static final String CONTROLLER_NAME = MeshRouteStatus.CONTROLLER_NAME;

  private WaypointClasses() {}

  public static boolean isOurs(GatewayClass gc) {
    return gc.getSpec() != null && CONTROLLER_NAME.equals(gc.getSpec().getControllerName());
  }

  /** The names of our classes that are not being deleted. */
  public static Set<String> ourClassNames(List<GatewayClass> classes) {
    Set<String> out = new HashSet<>();
    for (GatewayClass gc : classes) {
      if (isOurs(gc) && gc.getMetadata().getDeletionTimestamp() == null) {
        out.add(gc.getMetadata().getName());
      }
    }
    return out;
  }

  /** Our Gateways, in namespace/name order (deleted ones left out). */
  public static List<Gateway> ourGateways(List<GatewayClass> classes, List<Gateway> gateways) {
    Set<String> ours = ourClassNames(classes);
    List<Gateway> out = new ArrayList<>();
    for (Gateway g : gateways) {
      if (g.getSpec() != null
          && ours.contains(g.getSpec().getGatewayClassName())
          && g.getMetadata().getDeletionTimestamp() == null) {
        out.add(g);
      }
    }
    out.sort(
        (a, b) ->
            (a.getMetadata().getNamespace() + "/" + a.getMetadata().getName())
                .compareTo(b.getMetadata().getNamespace() + "/" + b.getMetadata().getName()));
    return out;
  }

  /** The waypoint a Gateway becomes (whether it is valid is {@link GatewayStatuses}' question). */
  public static WaypointGateway waypoint(Gateway g) {
    var infra = g.getSpec().getInfrastructure();
    Map<String, String> labels = new LinkedHashMap<>();
    Map<String, String> annotations = new LinkedHashMap<>();
    if (infra != null) {
      if (infra.getLabels() != null) {
        labels.putAll(infra.getLabels());
      }
      if (infra.getAnnotations() != null) {
        annotations.putAll(infra.getAnnotations());
      }
    }
    return new WaypointGateway(
        g.getMetadata().getNamespace(),
        g.getMetadata().getName(),
        g.getMetadata().getUid() == null ? "" : g.getMetadata().getUid(),
        g.getSpec().getGatewayClassName(),
        labels,
        annotations);
  }
}
