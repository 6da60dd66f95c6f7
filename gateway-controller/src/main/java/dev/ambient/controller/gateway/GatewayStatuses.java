package dev.ambient.controller.gateway;

import dev.ambient.controller.status.Conditions;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.Gateway;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.GatewayClass;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.GatewayClassStatus;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.GatewayStatus;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.GatewayStatusAddress;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.Listener;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.ListenerStatus;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * What the status of our GatewayClasses and waypoint Gateways should say, a pure function of the
 * objects. A waypoint Gateway is valid when it has a listener with protocol {@code HBONE} on port
 * {@value #HBONE_PORT} (Istio's waypoint shape) and no static {@code spec.addresses}; it is
 * Programmed once its Service has a cluster IP and its Deployment an available replica, and its
 * addresses are the Service's cluster IPs.
 */
public final class GatewayStatuses {
  public static final int HBONE_PORT = 15008;
  public static final String HBONE = "HBONE";

  private GatewayStatuses() {}

  /** Why the Gateway cannot be a waypoint (naming the field), or empty when it can. */
  public static Optional<String> invalidReason(Gateway g) {
    if (g.getSpec().getAddresses() != null && !g.getSpec().getAddresses().isEmpty()) {
      return Optional.of("spec.addresses: static addresses are not supported for waypoints");
    }
    if (g.getSpec().getInfrastructure() != null
        && g.getSpec().getInfrastructure().getParametersRef() != null) {
      return Optional.of("spec.infrastructure.parametersRef: not supported for waypoints");
    }
    if (listeners(g).stream().noneMatch(GatewayStatuses::isHbone)) {
      return Optional.of(
          "spec.listeners: a waypoint needs a listener with protocol HBONE on port " + HBONE_PORT);
    }
    return Optional.empty();
  }

  private static List<Listener> listeners(Gateway g) {
    return g.getSpec().getListeners() == null ? List.of() : g.getSpec().getListeners();
  }

  private static boolean isHbone(Listener l) {
    return HBONE.equals(l.getProtocol())
        && l.getPort() != null
        && l.getPort() == HBONE_PORT
        && l.getHostname() == null
        && l.getTls() == null;
  }

  /** Accepted, or not with Gateway API's reason for the field {@code invalid} names. */
  public static Condition accepted(Optional<String> invalid, Long gen) {
    if (invalid.isEmpty()) {
      return Conditions.of("Accepted", true, "Accepted", "Waypoint accepted", gen);
    }
    String reason =
        invalid.get().startsWith("spec.addresses")
            ? "UnsupportedAddress"
            : invalid.get().startsWith("spec.infrastructure")
                ? "InvalidParameters"
                : "ListenersNotValid";
    return Conditions.of("Accepted", false, reason, invalid.get(), gen);
  }

  /**
   * A Gateway status with these two conditions (their transition times kept where {@code prev} had
   * the same status) and these IP addresses.
   */
  public static GatewayStatus status(
      Condition accepted,
      Condition programmed,
      List<Condition> prev,
      Instant now,
      List<String> addresses) {
    GatewayStatus out = new GatewayStatus();
    out.setConditions(
        List.of(
            Conditions.keepTransitionTime(accepted, prev, now),
            Conditions.keepTransitionTime(programmed, prev, now)));
    List<GatewayStatusAddress> list = new ArrayList<>();
    for (String ip : addresses) {
      GatewayStatusAddress a = new GatewayStatusAddress();
      a.setType("IPAddress");
      a.setValue(ip);
      list.add(a);
    }
    out.setAddresses(list);
    return out;
  }

  /**
   * @param deployment the waypoint's Deployment as the cluster has it, or null
   * @param service the waypoint's Service, or null
   */
  public static GatewayStatus gateway(
      Gateway g, Deployment deployment, Service service, Instant now) {
    Long gen = g.getMetadata().getGeneration();
    GatewayStatus previous = g.getStatus();
    List<Condition> prev = previous == null ? null : previous.getConditions();
    Optional<String> invalid = invalidReason(g);
    String name = g.getMetadata().getNamespace() + "/" + g.getMetadata().getName();
    Condition accepted = accepted(invalid, gen);
    List<String> clusterIps = clusterIps(service);
    Condition programmed;
    if (invalid.isPresent()) {
      programmed = Conditions.of("Programmed", false, "Invalid", "Gateway is not accepted", gen);
    } else if (clusterIps.isEmpty()) {
      programmed =
          Conditions.of(
              "Programmed", false, "Pending", "Waiting for Service " + name + " to get an IP", gen);
    } else if (!available(deployment)) {
      programmed =
          Conditions.of(
              "Programmed",
              false,
              "Pending",
              "Waiting for Deployment " + name + " to have an available replica",
              gen);
    } else {
      programmed = Conditions.of("Programmed", true, "Programmed", "Waypoint is serving", gen);
    }
    GatewayStatus out =
        status(accepted, programmed, prev, now, invalid.isEmpty() ? clusterIps : List.of());
    List<ListenerStatus> listenerStatuses = new ArrayList<>();
    for (Listener l : listeners(g)) {
      List<Condition> prevListener = previousListener(previous, l.getName());
      boolean ok = isHbone(l);
      List<Condition> conds = new ArrayList<>();
      conds.add(
          ok
              ? Conditions.of("Accepted", true, "Accepted", "Listener accepted", gen)
              : Conditions.of(
                  "Accepted",
                  false,
                  "UnsupportedProtocol",
                  "a waypoint listens only with protocol HBONE on port "
                      + HBONE_PORT
                      + " (no hostname, no tls)",
                  gen));
      boolean listenerProgrammed = ok && "True".equals(programmed.getStatus());
      conds.add(
          listenerProgrammed
              ? Conditions.of("Programmed", true, "Programmed", "Listener is serving", gen)
              : Conditions.of(
                  "Programmed",
                  false,
                  ok ? "Pending" : "Invalid",
                  ok ? programmed.getMessage() : "Listener is not accepted",
                  gen));
      conds.add(Conditions.of("ResolvedRefs", true, "ResolvedRefs", "No references", gen));
      conds.add(Conditions.of("Conflicted", false, "NoConflicts", "No conflicts", gen));
      List<Condition> kept = new ArrayList<>();
      for (Condition c : conds) {
        kept.add(Conditions.keepTransitionTime(c, prevListener, now));
      }
      ListenerStatus ls = new ListenerStatus();
      ls.setName(l.getName());
      // Mesh routes attach to Services, never to a waypoint's listener.
      ls.setAttachedRoutes(0);
      ls.setSupportedKinds(List.of());
      ls.setConditions(kept);
      listenerStatuses.add(ls);
    }
    out.setListeners(listenerStatuses);
    return out;
  }

  private static List<Condition> previousListener(GatewayStatus previous, String name) {
    if (previous == null || previous.getListeners() == null) {
      return null;
    }
    for (ListenerStatus ls : previous.getListeners()) {
      if (name != null && name.equals(ls.getName())) {
        return ls.getConditions();
      }
    }
    return null;
  }

  private static List<String> clusterIps(Service service) {
    if (service == null || service.getSpec() == null) {
      return List.of();
    }
    List<String> out = new ArrayList<>();
    if (service.getSpec().getClusterIPs() != null) {
      for (String ip : service.getSpec().getClusterIPs()) {
        if (ip != null && !ip.isEmpty() && !"None".equals(ip) && !out.contains(ip)) {
          out.add(ip);
        }
      }
    }
    String ip = service.getSpec().getClusterIP();
    if (out.isEmpty() && ip != null && !ip.isEmpty() && !"None".equals(ip)) {
      out.add(ip);
    }
    return out;
  }

  private static boolean available(Deployment d) {
    return d != null
        && d.getStatus() != null
        && d.getStatus().getAvailableReplicas() != null
        && d.getStatus().getAvailableReplicas() > 0;
  }

  /** Our GatewayClasses are accepted: the controller handles every parameterless class of its. */
  public static GatewayClassStatus gatewayClass(GatewayClass gc, Instant now) {
    Long gen = gc.getMetadata().getGeneration();
    List<Condition> prev = gc.getStatus() == null ? null : gc.getStatus().getConditions();
    Condition accepted =
        gc.getSpec().getParametersRef() != null
            ? Conditions.of(
                "Accepted",
                false,
                "InvalidParameters",
                "spec.parametersRef: waypoint classes take no parameters",
                gen)
            : Conditions.of("Accepted", true, "Accepted", "Handled by the ambient mesh", gen);
    GatewayClassStatus out = new GatewayClassStatus();
    out.setConditions(List.of(Conditions.keepTransitionTime(accepted, prev, now)));
    if (gc.getStatus() != null && gc.getStatus().getSupportedFeatures() != null) {
      out.setSupportedFeatures(gc.getStatus().getSupportedFeatures());
    }
    return out;
  }
}
