package dev.ambient.api.config;

import dev.ambient.api.authz.IpLiteral;
import dev.ambient.api.model.GatewayAddress;
import dev.ambient.api.model.TunnelProtocol;
import dev.ambient.api.model.Workload;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Reads one {@code workloads[]} entry. */
final class WorkloadReader {
  private static final Set<String> KEYS =
      Set.of(
          "name",
          "namespace",
          "uid",
          "serviceAccount",
          "node",
          "addresses",
          "protocol",
          "waypoint",
          "labels");

  private WorkloadReader() {}

  /** The workload, or {@code null} when it has problems (all reported). */
  static Workload read(Object raw, Reporter r, Defaults defaults) {
    int before = r.count();
    YamlMap m = YamlMap.of(raw, "", r);
    if (m == null) {
      return null;
    }
    m.rejectUnknown(KEYS);
    String name = m.requiredString("name");
    if (name != null) {
      check(r, "name", Names.dnsSubdomain(name));
    }
    String namespace = m.requiredString("namespace");
    if (namespace != null) {
      check(r, "namespace", Names.dnsLabel(namespace));
    }
    String uid = m.string("uid");
    if (uid != null) {
      check(r, "uid", Names.token(uid));
    } else if (name != null && namespace != null) {
      uid = "Kubernetes//Pod/" + namespace + "/" + name;
    }
    String serviceAccount = m.has("serviceAccount") ? m.string("serviceAccount") : "default";
    if (serviceAccount != null) {
      check(r, "serviceAccount", Names.dnsSubdomain(serviceAccount));
    }
    String node = m.requiredString("node");
    if (node != null) {
      check(r, "node", Names.token(node));
    }
    List<InetAddress> addresses = addresses(m, "addresses", true);
    TunnelProtocol protocol = TunnelProtocol.HBONE;
    String p = m.string("protocol");
    if (p != null) {
      switch (p) {
        case "HBONE" -> protocol = TunnelProtocol.HBONE;
        case "TCP" -> protocol = TunnelProtocol.NONE;
        default -> r.field("protocol", Text.quote(p) + " is not one of HBONE, TCP");
      }
    }
    GatewayAddress waypoint = GatewayReader.read(m, "waypoint");
    Map<String, String> labels = m.stringMap("labels");
    if (r.count() != before) {
      return null;
    }
    String canonicalName =
        first(labels, "service.istio.io/canonical-name", "app.kubernetes.io/name", "app");
    String canonicalRevision =
        first(
            labels, "service.istio.io/canonical-revision", "app.kubernetes.io/version", "version");
    try {
      return new Workload(
          uid,
          name,
          namespace,
          serviceAccount,
          node,
          defaults.trustDomain(),
          addresses,
          protocol,
          waypoint,
          canonicalName,
          canonicalRevision,
          labels);
    } catch (RuntimeException e) {
      // Every field was checked above; this is a last line of defence, never a crash.
      r.object("invalid workload: " + e.getMessage());
      return null;
    }
  }

  /** IP literals under the key; duplicates and non-addresses are reported. */
  static List<InetAddress> addresses(YamlMap m, String key, boolean required) {
    Reporter r = m.reporter();
    if (required && !m.has(key)) {
      r.field(key, "is required (at least one IP address)");
      return List.of();
    }
    List<?> raw = m.list(key);
    if (required && raw.isEmpty() && m.raw(key) instanceof List) {
      r.field(key, "needs at least one IP address");
    }
    List<InetAddress> out = new ArrayList<>();
    Set<InetAddress> seen = new HashSet<>();
    for (int i = 0; i < raw.size(); i++) {
      String field = m.path(key) + "[" + i + "]";
      Object e = raw.get(i);
      if (!(e instanceof String s)) {
        r.field(field, "expected a string, got " + Text.typeOf(e));
        continue;
      }
      try {
        InetAddress a = IpLiteral.parse(s);
        if (!seen.add(a)) {
          r.field(field, "duplicate address " + a.getHostAddress());
        }
        out.add(a);
      } catch (IllegalArgumentException ex) {
        r.field(field, Text.quote(s) + " is not an IP address");
      }
    }
    return out;
  }

  static void check(Reporter r, String field, String problem) {
    if (problem != null) {
      r.field(field, problem);
    }
  }

  private static String first(Map<String, String> labels, String... keys) {
    for (String k : keys) {
      String v = labels.get(k);
      if (v != null && !v.isEmpty()) {
        return v;
      }
    }
    return null;
  }
}
