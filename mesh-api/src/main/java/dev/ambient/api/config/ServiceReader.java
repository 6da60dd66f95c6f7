package dev.ambient.api.config;

import dev.ambient.api.model.GatewayAddress;
import dev.ambient.api.model.LoadBalancing;
import dev.ambient.api.model.Service;
import dev.ambient.api.model.ServicePort;
import dev.ambient.api.model.Workload;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads one {@code services[]} entry; endpoints are resolved against the workloads already read.
 */
final class ServiceReader {
  private static final Set<String> KEYS =
      Set.of(
          "name",
          "namespace",
          "hostname",
          "vips",
          "ports",
          "endpoints",
          "loadBalancing",
          "waypoint",
          "subjectAltNames");
  private static final Set<String> PORT_KEYS = Set.of("port", "targetPort", "name", "appProtocol");

  private ServiceReader() {}

  /**
   * @param workloads the valid workloads, for selectors and uid references
   * @param workloadsComplete false when some workload had problems: unknown uids are then not
   *     reported, since they most likely name that broken workload
   */
  static Service read(
      Object raw,
      Reporter r,
      Defaults defaults,
      List<Workload> workloads,
      boolean workloadsComplete) {
    int before = r.count();
    YamlMap m = YamlMap.of(raw, "", r);
    if (m == null) {
      return null;
    }
    m.rejectUnknown(KEYS);
    String name = m.requiredString("name");
    if (name != null) {
      WorkloadReader.check(r, "name", Names.dnsLabel(name));
    }
    String namespace = m.requiredString("namespace");
    if (namespace != null) {
      WorkloadReader.check(r, "namespace", Names.dnsLabel(namespace));
    }
    String hostname = m.string("hostname");
    if (hostname != null) {
      WorkloadReader.check(r, "hostname", Names.dnsSubdomain(hostname));
    } else if (name != null && namespace != null) {
      hostname = name + "." + namespace + ".svc." + defaults.trustDomain();
    }
    List<InetAddress> vips = WorkloadReader.addresses(m, "vips", false);
    List<ServicePort> ports = ports(m);
    LoadBalancing lb = LoadBalancing.ROUND_ROBIN;
    String lbText = m.string("loadBalancing");
    if (lbText != null) {
      try {
        lb = LoadBalancing.valueOf(lbText);
      } catch (IllegalArgumentException e) {
        r.field("loadBalancing", Text.quote(lbText) + " is not one of ROUND_ROBIN, LEAST_REQUESTS");
      }
    }
    GatewayAddress waypoint = GatewayReader.read(m, "waypoint");
    List<String> sans = m.stringList("subjectAltNames");
    List<String> endpoints = endpoints(m, namespace, workloads, workloadsComplete);
    if (r.count() != before) {
      return null;
    }
    try {
      return new Service(name, namespace, hostname, vips, ports, endpoints, lb, waypoint, sans);
    } catch (RuntimeException e) {
      r.object("invalid service: " + e.getMessage());
      return null;
    }
  }

  private static List<ServicePort> ports(YamlMap m) {
    List<ServicePort> out = new ArrayList<>();
    Set<Integer> seen = new HashSet<>();
    List<?> raw = m.list("ports");
    for (int i = 0; i < raw.size(); i++) {
      YamlMap p = YamlMap.of(raw.get(i), "ports[" + i + "]", m.reporter());
      if (p == null) {
        continue;
      }
      p.rejectUnknown(PORT_KEYS);
      String name = p.string("name");
      String appProtocol = p.string("appProtocol");
      Integer port = p.port("port");
      if (port == null && !p.has("port")) {
        m.reporter().field(p.path("port"), "is required");
      }
      Integer target = p.port("targetPort");
      if (port != null) {
        if (!seen.add(port)) {
          m.reporter().field(p.path("port"), "duplicate port " + port);
        }
        out.add(new ServicePort(port, target == null ? 0 : target, name, appProtocol));
      }
    }
    return out;
  }

  private static List<String> endpoints(
      YamlMap m, String namespace, List<Workload> workloads, boolean workloadsComplete) {
    Reporter r = m.reporter();
    Object raw = m.raw("endpoints");
    List<String> out = new ArrayList<>();
    if (raw == null) {
      return out;
    }
    if (!(raw instanceof Map) && !(raw instanceof List)) {
      r.field(
          "endpoints",
          "expected a list of workload uids or a label selector map, got " + Text.typeOf(raw));
      return out;
    }
    if (raw instanceof Map) {
      // A selector, as a Kubernetes Service has: the workloads of its namespace carrying the
      // labels.
      Map<String, String> selector = m.stringMap("endpoints");
      if (selector.isEmpty()) {
        return out; // like a Kubernetes Service without selector: no automatic endpoints
      }
      for (Workload w : workloads) {
        if (w.namespace().equals(namespace)
            && w.labels().entrySet().containsAll(selector.entrySet())) {
          out.add(w.uid());
        }
      }
      return out;
    }
    Set<String> known = new HashSet<>();
    for (Workload w : workloads) {
      known.add(w.uid());
    }
    List<?> uids = m.list("endpoints");
    for (int i = 0; i < uids.size(); i++) {
      if (!(uids.get(i) instanceof String uid)) {
        r.field("endpoints[" + i + "]", "expected a workload uid, got " + Text.typeOf(uids.get(i)));
      } else if (out.contains(uid)) {
        r.field("endpoints[" + i + "]", "duplicate endpoint " + Text.quote(uid));
      } else if (workloadsComplete && !known.contains(uid)) {
        r.field("endpoints[" + i + "]", "unknown workload uid " + Text.quote(uid));
      } else {
        out.add(uid);
      }
    }
    return out;
  }
}
