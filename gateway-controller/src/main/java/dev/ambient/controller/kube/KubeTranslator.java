package dev.ambient.controller.kube;

import dev.ambient.api.authz.ImplicitWaypointPolicies;
import dev.ambient.api.config.LenientMeshConfig;
import dev.ambient.api.config.MeshConfigLoader;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.PodIP;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.discovery.v1.Endpoint;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Translates Kubernetes objects into the mesh configuration, with Istio ambient's rules: a pod is
 * captured (its traffic rides HBONE) when its namespace is labelled {@code
 * istio.io/dataplane-mode=ambient} and the pod itself does not opt out with {@code none}; every
 * other running pod is still a workload, reached in plain TCP, so services spanning both work.
 *
 * <p>The objects become the same tree the mesh YAML parses into, so one set of readers validates
 * both sources, and errors name the object and field the same way. Invalid objects are left out and
 * reported; the rest of the mesh still applies.
 */
public final class KubeTranslator {
  public static final String DATAPLANE_MODE = "istio.io/dataplane-mode";
  public static final String AMBIENT = "ambient";
  public static final String NONE = "none";
  public static final String USE_WAYPOINT = "istio.io/use-waypoint";
  public static final String USE_WAYPOINT_NAMESPACE = "istio.io/use-waypoint-namespace";

  /**
   * On a waypoint Gateway: which traffic it is for, {@code service} (the default), {@code
   * workload}, {@code all} or {@code none}.
   */
  public static final String WAYPOINT_FOR = "istio.io/waypoint-for";

  /** On an EndpointSlice: the Service it holds endpoints of. */
  public static final String SERVICE_NAME = "kubernetes.io/service-name";

  /** Marks the Service of a Gateway (a waypoint's own Service). */
  public static final String GATEWAY_NAME = "gateway.networking.k8s.io/gateway-name";

  public static final String MANAGED = "gateway.istio.io/managed";
  public static final String MANAGED_BY_US = "dev.ambient.mesh-controller";

  /**
   * Mesh-wide settings the cluster does not carry.
   *
   * @param allowFromWaypoint Istio's {@code PILOT_AUTO_ALLOW_WAYPOINT_POLICY} (off by default there
   *     too): every workload behind a waypoint also gets the L4 ALLOW policy admitting the
   *     waypoint's identity ({@link ImplicitWaypointPolicies}), so its ztunnel refuses clients that
   *     bypass the waypoint
   */
  public record Settings(
      String trustDomain,
      String rootNamespace,
      String clusterId,
      String clusterDomain,
      boolean allowFromWaypoint) {
    public static final Settings DEFAULT =
        new Settings("cluster.local", "istio-system", "Kubernetes", "cluster.local");

    /** Without the implicit allow-from-waypoint policy. */
    public Settings(
        String trustDomain, String rootNamespace, String clusterId, String clusterDomain) {
      this(trustDomain, rootNamespace, clusterId, clusterDomain, false);
    }

    public Settings withAllowFromWaypoint(boolean allow) {
      return new Settings(trustDomain, rootNamespace, clusterId, clusterDomain, allow);
    }
  }

  private KubeTranslator() {}

  public static LenientMeshConfig translate(ClusterObjects objects, Settings settings) {
    LenientMeshConfig base = translateObjects(objects, settings);
    PeerAuthentications.Result peer =
        PeerAuthentications.apply(
            base.config(), objects.peerAuthentications(), settings.rootNamespace());
    List<String> problems = new ArrayList<>(base.problems());
    problems.addAll(peer.problems());
    return new LenientMeshConfig(
        settings.allowFromWaypoint()
            ? ImplicitWaypointPolicies.apply(peer.config())
            : peer.config(),
        problems,
        base.notes());
  }

  private static LenientMeshConfig translateObjects(ClusterObjects objects, Settings settings) {
    Map<String, Namespace> namespaces = new HashMap<>();
    for (Namespace ns : objects.namespaces()) {
      namespaces.put(ns.getMetadata().getName(), ns);
    }
    Map<String, Object> root = new LinkedHashMap<>();
    root.put("trustDomain", settings.trustDomain());
    root.put("rootNamespace", settings.rootNamespace());
    Map<String, String> waypointFor = waypointFor(objects.gateways());
    root.put("workloads", workloads(objects.pods(), namespaces, settings, waypointFor));
    root.put(
        "services",
        services(
            objects.services(),
            objects.pods(),
            objects.endpointSlices(),
            namespaces,
            settings,
            waypointFor));
    root.put("authorizationPolicies", policies(objects.authorizationPolicies()));
    return MeshConfigLoader.buildLenient(root, "kubernetes");
  }

  /**
   * A named target port as the number the Service's pods give that name. The mesh model has one
   * target port per service port (Istio's per-workload port lists are not modelled yet), so this
   * works when the selected pods agree, as pods of one template do; when they disagree the name is
   * kept (as when a selected pod lacks the name), and the mesh config loader refuses the Service
   * naming the field. With no selected pod there are no endpoints, and 0 stands in until one runs.
   */
  static Object namedTargetPort(Service svc, String name, List<Pod> pods) {
    Map<String, String> selector = svc.getSpec().getSelector();
    if (selector == null || selector.isEmpty()) {
      return name;
    }
    Set<Integer> numbers = new TreeSet<>();
    boolean selected = false;
    for (Pod pod : pods) {
      if (!svc.getMetadata().getNamespace().equals(pod.getMetadata().getNamespace())
          || pod.getMetadata().getLabels() == null
          || !pod.getMetadata().getLabels().entrySet().containsAll(selector.entrySet())
          || pod.getSpec() == null) {
        continue;
      }
      selected = true;
      for (var c : pod.getSpec().getContainers()) {
        for (var cp : c.getPorts() == null ? List.<ContainerPort>of() : c.getPorts()) {
          if (name.equals(cp.getName()) && cp.getContainerPort() != null) {
            numbers.add(cp.getContainerPort());
          }
        }
      }
    }
    if (numbers.size() == 1) {
      return numbers.iterator().next();
    }
    return selected ? name : 0;
  }

  /** Whether the pod's traffic is captured into the mesh. */
  public static boolean captured(Pod pod, Namespace namespace) {
    String podMode = label(pod, DATAPLANE_MODE);
    if (NONE.equals(podMode)) {
      return false;
    }
    return AMBIENT.equals(podMode)
        || (namespace != null && AMBIENT.equals(label(namespace, DATAPLANE_MODE)));
  }

  /**
   * Whether the pod terminates HBONE itself without being captured: our waypoints (label {@value
   * #MANAGED} = {@value #MANAGED_BY_US}), which listen on 15008 with their own identity.
   */
  public static boolean nativeHbone(Pod pod) {
    return MANAGED_BY_US.equals(label(pod, MANAGED));
  }

  private static List<Object> workloads(
      List<Pod> pods,
      Map<String, Namespace> namespaces,
      Settings settings,
      Map<String, String> waypointFor) {
    List<Object> out = new ArrayList<>();
    for (Pod pod : sorted(pods)) {
      if (!running(pod)) {
        continue;
      }
      var meta = pod.getMetadata();
      Map<String, Object> w = new LinkedHashMap<>();
      w.put("name", meta.getName());
      w.put("namespace", meta.getNamespace());
      w.put("uid", settings.clusterId() + "//Pod/" + meta.getNamespace() + "/" + meta.getName());
      String sa = pod.getSpec().getServiceAccountName();
      w.put("serviceAccount", sa == null || sa.isEmpty() ? "default" : sa);
      w.put("node", pod.getSpec().getNodeName());
      w.put("addresses", addresses(pod));
      boolean hbone = captured(pod, namespaces.get(meta.getNamespace())) || nativeHbone(pod);
      w.put("protocol", hbone ? "HBONE" : "TCP");
      w.put("labels", meta.getLabels() == null ? Map.of() : new LinkedHashMap<>(meta.getLabels()));
      // A waypoint's own pods never loop through a waypoint.
      Object waypoint =
          label(pod, GATEWAY_NAME) != null
              ? null
              : waypoint(
                  pod,
                  namespaces.get(meta.getNamespace()),
                  settings,
                  WaypointFor.WORKLOAD,
                  waypointFor);
      if (waypoint != null) {
        w.put("waypoint", waypoint);
      }
      out.add(w);
    }
    return out;
  }

  /**
   * A pod is a workload while it runs on a node with an address. Pods being deleted are left out at
   * once, so no new connection goes to a pod that is shutting down; hostNetwork pods share the
   * node's address and are not workloads of their own (as in Istio).
   */
  static boolean running(Pod pod) {
    if (pod.getMetadata().getDeletionTimestamp() != null) {
      return false;
    }
    if (pod.getSpec() == null || Boolean.TRUE.equals(pod.getSpec().getHostNetwork())) {
      return false;
    }
    if (pod.getSpec().getNodeName() == null || pod.getStatus() == null) {
      return false;
    }
    String phase = pod.getStatus().getPhase();
    if ("Succeeded".equals(phase) || "Failed".equals(phase)) {
      return false;
    }
    String ip = pod.getStatus().getPodIP();
    return ip != null && !ip.isEmpty();
  }

  /**
   * The Service's endpoints as Kubernetes' EndpointSlice controller picks them: running pods of its
   * namespace that match its selector and are Ready, unless the Service publishes not-ready
   * addresses. A pod that reports no Ready condition at all (a static pod written by hand) counts
   * as ready; the kubelet always reports one.
   */
  private static List<Object> endpoints(
      Service svc, Map<String, String> selector, List<Pod> running, Settings settings) {
    String ns = svc.getMetadata().getNamespace();
    boolean notReadyToo = Boolean.TRUE.equals(svc.getSpec().getPublishNotReadyAddresses());
    List<Object> out = new ArrayList<>();
    for (Pod pod : running) {
      Map<String, String> labels = pod.getMetadata().getLabels();
      if (labels == null
          || !selector.entrySet().stream()
              .allMatch(e -> e.getValue().equals(labels.get(e.getKey())))
          || !notReadyToo && !ready(pod)) {
        continue;
      }
      out.add(settings.clusterId() + "//Pod/" + ns + "/" + pod.getMetadata().getName());
    }
    return out;
  }

  /**
   * A Service without a selector: its endpoints are what its EndpointSlices (label {@value
   * #SERVICE_NAME}) list, as far as they are pods of the mesh: an endpoint names its pod by {@code
   * targetRef} or by the pod's address, and counts unless its {@code ready} condition is false (or
   * the Service publishes not-ready addresses). Addresses of no pod (outside the cluster) are not
   * workloads and are left out.
   */
  private static List<Object> sliceEndpoints(
      Service svc, List<EndpointSlice> slices, List<Pod> running, Settings settings) {
    String ns = svc.getMetadata().getNamespace();
    String name = svc.getMetadata().getName();
    boolean notReadyToo = Boolean.TRUE.equals(svc.getSpec().getPublishNotReadyAddresses());
    Map<String, Pod> byName = new HashMap<>();
    Map<String, Pod> byIp = new HashMap<>();
    for (Pod pod : running) {
      byName.put(pod.getMetadata().getName(), pod);
      for (Object ip : addresses(pod)) {
        byIp.put(String.valueOf(ip), pod);
      }
    }
    java.util.Set<String> out = new java.util.TreeSet<>();
    for (EndpointSlice slice : slices) {
      Map<String, String> labels = slice.getMetadata().getLabels();
      if (!ns.equals(slice.getMetadata().getNamespace())
          || labels == null
          || !name.equals(labels.get(SERVICE_NAME))
          || slice.getEndpoints() == null) {
        continue;
      }
      for (Endpoint e : slice.getEndpoints()) {
        if (!notReadyToo
            && e.getConditions() != null
            && Boolean.FALSE.equals(e.getConditions().getReady())) {
          continue;
        }
        Pod pod = null;
        if (e.getTargetRef() != null && "Pod".equals(e.getTargetRef().getKind())) {
          pod = byName.get(e.getTargetRef().getName());
        }
        if (pod == null && e.getAddresses() != null) {
          for (String a : e.getAddresses()) {
            pod = pod != null ? pod : byIp.get(a);
          }
        }
        if (pod != null) {
          out.add(settings.clusterId() + "//Pod/" + ns + "/" + pod.getMetadata().getName());
        }
      }
    }
    return new ArrayList<>(out);
  }

  /** Ready unless its Ready condition says otherwise. */
  static boolean ready(Pod pod) {
    if (pod.getStatus() == null || pod.getStatus().getConditions() == null) {
      return true;
    }
    for (PodCondition c : pod.getStatus().getConditions()) {
      if ("Ready".equals(c.getType())) {
        return "True".equals(c.getStatus());
      }
    }
    return true;
  }

  private static List<Object> addresses(Pod pod) {
    List<Object> out = new ArrayList<>();
    List<PodIP> ips = pod.getStatus().getPodIPs();
    if (ips != null) {
      for (PodIP ip : ips) {
        if (ip.getIp() != null && !out.contains(ip.getIp())) {
          out.add(ip.getIp());
        }
      }
    }
    if (out.isEmpty()) {
      out.add(pod.getStatus().getPodIP());
    }
    return out;
  }

  private static List<Object> services(
      List<Service> services,
      List<Pod> pods,
      List<EndpointSlice> slices,
      Map<String, Namespace> namespaces,
      Settings settings,
      Map<String, String> waypointFor) {
    // Each Service looks only at the running pods of its own namespace: index them once.
    Map<String, List<Pod>> running = new HashMap<>();
    for (Pod pod : sorted(pods)) {
      if (running(pod)) {
        running.computeIfAbsent(pod.getMetadata().getNamespace(), k -> new ArrayList<>()).add(pod);
      }
    }
    List<Object> out = new ArrayList<>();
    for (Service svc : sorted(services)) {
      var spec = svc.getSpec();
      if (spec == null || "ExternalName".equals(spec.getType())) {
        continue; // a DNS alias, not addresses the mesh can carry
      }
      List<Object> vips = new ArrayList<>();
      List<String> clusterIps =
          spec.getClusterIPs() != null && !spec.getClusterIPs().isEmpty()
              ? spec.getClusterIPs()
              : spec.getClusterIP() == null ? List.of() : List.of(spec.getClusterIP());
      for (String ip : clusterIps) {
        if (ip != null && !ip.isEmpty() && !"None".equals(ip)) {
          vips.add(ip);
        }
      }
      Map<String, Object> s = new LinkedHashMap<>();
      s.put("name", svc.getMetadata().getName());
      s.put("namespace", svc.getMetadata().getNamespace());
      s.put("vips", vips);
      List<Object> ports = new ArrayList<>();
      for (ServicePort p : spec.getPorts() == null ? List.<ServicePort>of() : spec.getPorts()) {
        if (p.getProtocol() != null && !"TCP".equals(p.getProtocol())) {
          continue; // the mesh carries TCP; UDP and SCTP ports bypass it
        }
        Map<String, Object> port = new LinkedHashMap<>();
        port.put("port", p.getPort());
        IntOrString target = p.getTargetPort();
        if (target != null) {
          port.put(
              "targetPort",
              target.getIntVal() != null
                  ? target.getIntVal()
                  : namedTargetPort(svc, target.getStrVal(), pods));
        }
        if (p.getName() != null && !p.getName().isEmpty()) {
          port.put("name", p.getName());
        }
        if (p.getAppProtocol() != null && !p.getAppProtocol().isEmpty()) {
          port.put("appProtocol", p.getAppProtocol());
        }
        ports.add(port);
      }
      s.put("ports", ports);
      Map<String, String> selector = spec.getSelector();
      List<Pod> podsOf = running.getOrDefault(svc.getMetadata().getNamespace(), List.of());
      s.put(
          "endpoints",
          selector == null || selector.isEmpty()
              ? sliceEndpoints(svc, slices, podsOf, settings)
              : endpoints(svc, selector, podsOf, settings));
      Object waypoint =
          label(svc, GATEWAY_NAME) != null
              ? null // a waypoint's own Service is not sent through a waypoint
              : waypoint(
                  svc,
                  namespaces.get(svc.getMetadata().getNamespace()),
                  settings,
                  WaypointFor.SERVICE,
                  waypointFor);
      if (waypoint != null) {
        s.put("waypoint", waypoint);
      }
      out.add(s);
    }
    return out;
  }

  private static List<Object> policies(List<GenericKubernetesResource> policies) {
    List<Object> out = new ArrayList<>();
    for (GenericKubernetesResource p : sorted(policies)) {
      Map<String, Object> meta = new LinkedHashMap<>();
      meta.put("name", p.getMetadata().getName());
      meta.put("namespace", p.getMetadata().getNamespace());
      if (p.getMetadata().getAnnotations() != null) {
        meta.put("annotations", new LinkedHashMap<>(p.getMetadata().getAnnotations()));
      }
      Map<String, Object> policy = new LinkedHashMap<>();
      policy.put("apiVersion", p.getApiVersion());
      policy.put("kind", p.getKind());
      policy.put("metadata", meta);
      Object spec = p.getAdditionalProperties().get("spec");
      policy.put("spec", spec == null ? Map.of() : spec);
      out.add(policy);
    }
    return out;
  }

  /** The traffic a waypoint is for, from its Gateway's {@value #WAYPOINT_FOR} label. */
  enum WaypointFor {
    SERVICE,
    WORKLOAD;

    boolean servedBy(String type) {
      return type.equals("all") || type.equals(name().toLowerCase(java.util.Locale.ROOT));
    }
  }

  /** Gateway {@code ns/name} to its {@value #WAYPOINT_FOR} label, {@code service} when unset. */
  private static Map<String, String> waypointFor(List<GenericKubernetesResource> gateways) {
    Map<String, String> out = new HashMap<>();
    for (GenericKubernetesResource gw : gateways) {
      String type = label(gw, WAYPOINT_FOR);
      out.put(
          gw.getMetadata().getNamespace() + "/" + gw.getMetadata().getName(),
          type == null || type.isEmpty() ? "service" : type);
    }
    return out;
  }

  /**
   * The waypoint an object asks for with {@code istio.io/use-waypoint} (on itself, else on its
   * namespace), as a reference to the waypoint's Service: {@code <ns>/<name>.<ns>.svc.<domain>},
   * the namespace from {@code istio.io/use-waypoint-namespace} on the object carrying the label,
   * else the object's own. {@code none} on the object overrides its namespace.
   *
   * <p>As in Istio, the waypoint's Gateway says which traffic it takes ({@value #WAYPOINT_FOR}): a
   * {@code service} waypoint (the default) takes service-addressed traffic only, {@code workload}
   * pod-addressed only, {@code all} both, {@code none} neither. A Gateway that does not exist (yet)
   * fails closed: it is still referenced where the object names it itself, and by namespace for
   * services (the default type), so ztunnel refuses the traffic rather than letting it bypass the
   * waypoint.
   */
  static Object waypoint(
      HasMetadata object,
      Namespace namespace,
      Settings settings,
      WaypointFor kind,
      Map<String, String> waypointFor) {
    HasMetadata from = object;
    String name = label(object, USE_WAYPOINT);
    if (name == null && namespace != null) {
      from = namespace;
      name = label(namespace, USE_WAYPOINT);
    }
    if (name == null || name.isEmpty() || NONE.equals(name)) {
      return null;
    }
    String ns = label(from, USE_WAYPOINT_NAMESPACE);
    if (ns == null || ns.isEmpty()) {
      ns = object.getMetadata().getNamespace();
    }
    String type = waypointFor.get(ns + "/" + name);
    boolean bound =
        type != null ? kind.servedBy(type) : from == object || kind == WaypointFor.SERVICE;
    if (!bound) {
      return null;
    }
    return Map.of("service", ns + "/" + name + "." + ns + ".svc." + settings.clusterDomain());
  }

  private static String label(HasMetadata o, String key) {
    Map<String, String> labels = o.getMetadata().getLabels();
    return labels == null ? null : labels.get(key);
  }

  private static <T extends HasMetadata> List<T> sorted(List<T> objects) {
    List<T> copy = new ArrayList<>(objects);
    copy.sort(
        Comparator.comparing((T o) -> String.valueOf(o.getMetadata().getNamespace()))
            .thenComparing(o -> o.getMetadata().getName()));
    return copy;
  }
}
