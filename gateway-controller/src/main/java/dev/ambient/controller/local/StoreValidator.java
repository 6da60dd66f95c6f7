package dev.ambient.controller.local;

import dev.ambient.api.config.LenientMeshConfig;
import dev.ambient.api.model.InvalidMeshConfigException;
import dev.ambient.api.model.MeshState;
import dev.ambient.controller.gateway.GatewayStatuses;
import dev.ambient.controller.kube.KubeTranslator;
import dev.ambient.controller.kube.ProblemReporter;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodIP;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.Gateway;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * What is wrong with a set of store objects, each problem naming the object and the field. The mesh
 * parts are judged by the cluster mode's own translation ({@link KubeTranslator}, then {@link
 * MeshState}); on top come the rules only a local store needs: a Pod carries the address and node
 * that a kubelet and a CNI would give it in a cluster, and a Gateway must be one of our waypoints
 * (nothing else runs locally).
 */
public final class StoreValidator {
  /** Our waypoint classes; a cluster has them as GatewayClass objects, the local mode built in. */
  public static final Set<String> WAYPOINT_CLASSES = Set.of("ambient-waypoint", "istio-waypoint");

  private static final Pattern IPV4 =
      Pattern.compile(
          "((25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)\\.){3}(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)");
  private static final Pattern IPV6_CHARS = Pattern.compile("[0-9a-fA-F:.]*:[0-9a-fA-F:.]*");

  private final KubeTranslator.Settings settings;

  public StoreValidator(KubeTranslator.Settings settings) {
    this.settings = settings;
  }

  /** Every problem of the objects as one store, in a stable order. */
  public List<String> problems(Collection<StoreObject> objects) {
    Set<String> out = new LinkedHashSet<>();
    for (StoreObject o : objects) {
      out.addAll(ownProblems(o));
    }
    StoreContents contents = StoreContents.of(objects);
    // The waypoints' own Services are part of the mesh the controller builds (a user Service of
    // the same name as a waypoint Gateway collides with it, as in a cluster).
    List<io.fabric8.kubernetes.api.model.Service> waypointServices = new ArrayList<>();
    Set<String> userServices = new java.util.HashSet<>();
    contents
        .services()
        .forEach(
            svc ->
                userServices.add(
                    svc.getMetadata().getNamespace() + "/" + svc.getMetadata().getName()));
    for (Gateway g : contents.gateways()) {
      String key = g.getMetadata().getNamespace() + "/" + g.getMetadata().getName();
      if (userServices.contains(key)) {
        out.add(
            "Service "
                + key
                + ": metadata.name: taken by the waypoint Gateway "
                + key
                + " (its own Service has the Gateway's name)");
        continue;
      }
      if (ownProblems(new StoreObject(StoreKind.GATEWAY, g)).isEmpty()) {
        waypointServices.add(
            WaypointObjects.service(
                dev.ambient.controller.gateway.WaypointClasses.waypoint(g), null));
      }
    }
    LenientMeshConfig translated =
        KubeTranslator.translate(contents.clusterObjects(List.of(), waypointServices), settings);
    for (String p : translated.problems()) {
      ProblemReporter.ObjectProblem op = ProblemReporter.parse(p);
      out.add(op == null ? p : op.describe());
    }
    try {
      MeshState.of(translated.config(), 1);
    } catch (InvalidMeshConfigException e) {
      out.addAll(e.problems());
    }
    return new ArrayList<>(out);
  }

  /** The problems of one object alone. */
  public static List<String> ownProblems(StoreObject o) {
    List<String> out = new ArrayList<>();
    if (o.kind() == StoreKind.POD) {
      pod((Pod) o.object(), o.describe(), out);
    } else if (o.kind() == StoreKind.GATEWAY) {
      gateway((Gateway) o.object(), o.describe(), out);
    }
    return out;
  }

  private static void pod(Pod pod, String what, List<String> out) {
    if (pod.getSpec() == null
        || pod.getSpec().getNodeName() == null
        || pod.getSpec().getNodeName().isEmpty()) {
      out.add(what + ": spec.nodeName: required (the node whose ztunnel serves the pod)");
    }
    if (pod.getSpec() != null && Boolean.TRUE.equals(pod.getSpec().getHostNetwork())) {
      out.add(what + ": spec.hostNetwork: not supported locally (a pod has its own address)");
    }
    var status = pod.getStatus();
    boolean any = false;
    if (status != null && status.getPodIP() != null && !status.getPodIP().isEmpty()) {
      any = true;
      if (!isIp(status.getPodIP())) {
        out.add(what + ": status.podIP: " + status.getPodIP() + " is not an IP address");
      }
    }
    if (status != null && status.getPodIPs() != null) {
      List<PodIP> ips = status.getPodIPs();
      for (int i = 0; i < ips.size(); i++) {
        String ip = ips.get(i).getIp();
        any = true;
        if (ip == null || !isIp(ip)) {
          out.add(what + ": status.podIPs[" + i + "].ip: " + ip + " is not an IP address");
        }
      }
    }
    if (!any) {
      out.add(what + ": status.podIP: required (a local pod carries its address)");
    }
  }

  private static void gateway(Gateway g, String what, List<String> out) {
    if (g.getSpec() == null) {
      out.add(what + ": spec: required");
      return;
    }
    String cls = g.getSpec().getGatewayClassName();
    if (cls == null || !WAYPOINT_CLASSES.contains(cls)) {
      out.add(
          what
              + ": spec.gatewayClassName: "
              + cls
              + " is not a waypoint class (locally: "
              + String.join(" or ", new java.util.TreeSet<>(WAYPOINT_CLASSES))
              + ")");
      return;
    }
    GatewayStatuses.invalidReason(g).ifPresent(reason -> out.add(what + ": " + reason));
  }

  static boolean isIp(String s) {
    if (IPV4.matcher(s).matches()) {
      return true;
    }
    if (!IPV6_CHARS.matcher(s).matches()) {
      return false;
    }
    try {
      // A string with ':' is only ever parsed as an IPv6 literal, never looked up in DNS.
      java.net.InetAddress.getByName(s);
      return true;
    } catch (java.net.UnknownHostException e) {
      return false;
    }
  }
}
