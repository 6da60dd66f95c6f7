package dev.ambient.ztunnel.admin;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import dev.ambient.api.authz.AuthorizationPolicy;
import dev.ambient.api.authz.Cidr;
import dev.ambient.api.authz.Clause;
import dev.ambient.api.authz.IpLiteral;
import dev.ambient.api.authz.Match;
import dev.ambient.api.authz.Rule;
import dev.ambient.api.authz.StringMatch;
import dev.ambient.api.model.GatewayAddress;
import dev.ambient.api.model.MeshState;
import dev.ambient.api.model.Service;
import dev.ambient.api.model.ServicePort;
import dev.ambient.api.model.Workload;
import dev.ambient.ztunnel.identity.CertificateInfo;
import java.net.InetAddress;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Renders the state and certificates as the {@code /config_dump} JSON. Built field by field (no
 * reflection), so exactly what is listed here is shown and key material cannot slip in.
 */
public final class ConfigDump {
  private ConfigDump() {}

  public static String render(MeshState state, List<CertificateInfo> certificates) {
    JsonObject root = new JsonObject();
    root.addProperty("version", state.version());
    JsonArray workloads = new JsonArray();
    state.workloads().forEach(w -> workloads.add(workload(w)));
    root.add("workloads", workloads);
    JsonArray services = new JsonArray();
    state.services().forEach(s -> services.add(service(s)));
    root.add("services", services);
    JsonArray policies = new JsonArray();
    state.policies().forEach(p -> policies.add(policy(p)));
    root.add("policies", policies);
    JsonArray certs = new JsonArray();
    if (certificates != null) {
      certificates.forEach(c -> certs.add(certificate(c)));
    }
    root.add("certificates", certs);
    return new GsonBuilder()
            .setPrettyPrinting()
            .disableHtmlEscaping()
            .serializeNulls()
            .create()
            .toJson(root)
        + "\n";
  }

  static JsonObject workload(Workload w) {
    JsonObject o = new JsonObject();
    o.addProperty("uid", w.uid());
    o.addProperty("name", w.name());
    o.addProperty("namespace", w.namespace());
    o.addProperty("serviceAccount", w.serviceAccount());
    o.addProperty("identity", w.identity().uri());
    o.addProperty("node", w.node());
    o.addProperty("trustDomain", w.trustDomain());
    o.add("addresses", addresses(w.addresses()));
    o.addProperty("protocol", w.protocol().name());
    o.add("waypoint", gateway(w.waypoint()));
    o.addProperty("canonicalName", w.canonicalName());
    o.addProperty("canonicalRevision", w.canonicalRevision());
    o.add("labels", map(w.labels()));
    return o;
  }

  static JsonObject service(Service s) {
    JsonObject o = new JsonObject();
    o.addProperty("name", s.name());
    o.addProperty("namespace", s.namespace());
    o.addProperty("hostname", s.hostname());
    o.add("vips", addresses(s.vips()));
    JsonArray ports = new JsonArray();
    for (ServicePort p : s.ports()) {
      JsonObject po = new JsonObject();
      po.addProperty("port", p.port());
      po.addProperty("targetPort", p.targetPort());
      ports.add(po);
    }
    o.add("ports", ports);
    o.add("endpoints", strings(s.endpoints()));
    o.addProperty("loadBalancing", s.loadBalancing().name());
    o.add("waypoint", gateway(s.waypoint()));
    o.add("subjectAltNames", strings(s.subjectAltNames()));
    return o;
  }

  static JsonObject policy(AuthorizationPolicy p) {
    JsonObject o = new JsonObject();
    o.addProperty("name", p.name());
    o.addProperty("namespace", p.namespace());
    o.addProperty("scope", p.scope().name());
    o.addProperty("action", p.action().name());
    o.add("selector", map(p.selector()));
    o.addProperty("dryRun", p.dryRun());
    JsonArray rules = new JsonArray();
    for (Rule r : p.rules()) {
      JsonArray clauses = new JsonArray();
      for (Clause c : r.clauses()) {
        JsonArray matches = new JsonArray();
        c.matches().forEach(m -> matches.add(match(m)));
        JsonObject co = new JsonObject();
        co.add("matches", matches);
        clauses.add(co);
      }
      JsonObject ro = new JsonObject();
      ro.add("clauses", clauses);
      rules.add(ro);
    }
    o.add("rules", rules);
    return o;
  }

  /** Only the fields that constrain, so a dump reads like the policy that was written. */
  static JsonObject match(Match m) {
    JsonObject o = new JsonObject();
    putStrings(o, "namespaces", m.namespaces());
    putStrings(o, "notNamespaces", m.notNamespaces());
    putStrings(o, "principals", m.principals());
    putStrings(o, "notPrincipals", m.notPrincipals());
    putCidrs(o, "sourceIps", m.sourceIps());
    putCidrs(o, "notSourceIps", m.notSourceIps());
    putCidrs(o, "destinationIps", m.destinationIps());
    putCidrs(o, "notDestinationIps", m.notDestinationIps());
    putPorts(o, "destinationPorts", m.destinationPorts());
    putPorts(o, "notDestinationPorts", m.notDestinationPorts());
    return o;
  }

  static JsonObject certificate(CertificateInfo c) {
    JsonObject o = new JsonObject();
    o.addProperty("identity", c.identity().uri());
    o.addProperty("serial", c.serialHex());
    o.add("notBefore", instant(c.notBefore()));
    o.add("notAfter", instant(c.notAfter()));
    o.addProperty("state", c.state().name());
    o.add(
        "lastError", c.lastError() == null ? JsonNull.INSTANCE : new JsonPrimitive(c.lastError()));
    o.add("nextAttempt", instant(c.nextAttempt()));
    return o;
  }

  /** Istio's spelling: exact, {@code prefix*}, {@code *suffix}, {@code *}. */
  static String istio(StringMatch m) {
    if (m instanceof StringMatch.Exact e) {
      return e.value();
    }
    if (m instanceof StringMatch.Prefix p) {
      return p.prefix() + "*";
    }
    if (m instanceof StringMatch.Suffix s) {
      return "*" + s.suffix();
    }
    return "*";
  }

  private static void putStrings(JsonObject o, String key, List<StringMatch> values) {
    if (!values.isEmpty()) {
      JsonArray a = new JsonArray();
      values.forEach(v -> a.add(istio(v)));
      o.add(key, a);
    }
  }

  private static void putCidrs(JsonObject o, String key, List<Cidr> values) {
    if (!values.isEmpty()) {
      JsonArray a = new JsonArray();
      values.forEach(v -> a.add(IpLiteral.format(v.address()) + "/" + v.prefixLength()));
      o.add(key, a);
    }
  }

  private static void putPorts(JsonObject o, String key, List<Integer> values) {
    if (!values.isEmpty()) {
      JsonArray a = new JsonArray();
      values.forEach(a::add);
      o.add(key, a);
    }
  }

  private static JsonElement gateway(GatewayAddress g) {
    if (g == null) {
      return JsonNull.INSTANCE;
    }
    JsonObject o = new JsonObject();
    if (g.namespacedHostname() != null) {
      o.addProperty("service", g.namespacedHostname());
    } else {
      o.addProperty("address", IpLiteral.format(g.address()));
    }
    o.addProperty("hbonePort", g.hbonePort());
    return o;
  }

  private static JsonArray addresses(Collection<InetAddress> addresses) {
    JsonArray a = new JsonArray();
    addresses.forEach(x -> a.add(IpLiteral.format(x)));
    return a;
  }

  private static JsonArray strings(Collection<String> values) {
    JsonArray a = new JsonArray();
    values.forEach(a::add);
    return a;
  }

  private static JsonObject map(Map<String, String> m) {
    JsonObject o = new JsonObject();
    new TreeMap<>(m).forEach(o::addProperty);
    return o;
  }

  private static JsonElement instant(Instant i) {
    return i == null ? JsonNull.INSTANCE : new JsonPrimitive(i.toString());
  }
}
