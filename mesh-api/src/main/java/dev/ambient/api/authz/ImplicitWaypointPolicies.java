package dev.ambient.api.authz;

import dev.ambient.api.model.GatewayAddress;
import dev.ambient.api.model.MeshConfig;
import dev.ambient.api.model.Service;
import dev.ambient.api.model.Workload;
import dev.ambient.api.spiffe.SpiffeId;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Istio's "allow from waypoint" policies ({@code PILOT_AUTO_ALLOW_WAYPOINT_POLICY}, off by default
 * in Istio): every workload that has a waypoint, its own or one of a service it serves, gets an L4
 * ALLOW policy {@code istio_allow_waypoint_<waypoint-ns>_<waypoint-name>} admitting that waypoint's
 * identities. Like any ALLOW policy it puts the workload in "must match an ALLOW policy" mode, so a
 * client that bypasses the waypoint (HBONE straight to the pod) is refused by the destination's
 * ztunnel unless another ALLOW policy admits it.
 *
 * <p>Istio keeps one such policy in the waypoint's namespace and lists it on each workload; the
 * model selects by labels within a namespace, so here each workload namespace gets its own copy,
 * selected by the label {@code ambient.dev/allow-waypoint.<waypoint-ns>.<waypoint-name>=true} that
 * is added to exactly the workloads using that waypoint (on the wire each workload lists the policy
 * by name, as Istio's does). A waypoint that does not resolve to any workload yields no policy (as
 * in Istio: no service accounts, no policy); ztunnel refuses traffic to it anyway.
 */
public final class ImplicitWaypointPolicies {
  /** Istio's name prefix; {@code _} cannot occur in Kubernetes names, so no user policy clashes. */
  public static final String NAME_PREFIX = "istio_allow_waypoint_";

  public static final String LABEL_PREFIX = "ambient.dev/allow-waypoint.";

  private ImplicitWaypointPolicies() {}

  /** A waypoint by name, with the identities its workloads present. */
  private record Waypoint(String namespace, String name, Set<String> principals) {
    String policyName() {
      return NAME_PREFIX + namespace + "_" + name;
    }

    String label() {
      return LABEL_PREFIX + namespace + "." + name;
    }
  }

  /** The same mesh with the implicit policies added and the selecting labels set. */
  public static MeshConfig apply(MeshConfig config) {
    Map<String, Workload> byUid = new LinkedHashMap<>();
    for (Workload w : config.workloads()) {
      byUid.put(w.uid(), w);
    }
    Map<String, Service> byName = new LinkedHashMap<>();
    for (Service s : config.services()) {
      byName.put(s.resourceName(), s);
    }
    List<Workload> workloads = new ArrayList<>();
    Map<String, AuthorizationPolicy> policies = new LinkedHashMap<>();
    for (Workload w : config.workloads()) {
      Set<GatewayAddress> gateways = new LinkedHashSet<>();
      if (w.waypoint() != null) {
        gateways.add(w.waypoint());
      }
      for (Service s : config.services()) {
        if (s.waypoint() != null && s.endpoints().contains(w.uid())) {
          gateways.add(s.waypoint());
        }
      }
      Map<String, String> labels = new LinkedHashMap<>(w.labels());
      for (GatewayAddress g : gateways) {
        Waypoint wp = resolve(g, config.workloads(), byUid, byName);
        if (wp == null || wp.principals().isEmpty()) {
          continue;
        }
        labels.put(wp.label(), "true");
        policies.computeIfAbsent(
            w.namespace() + "/" + wp.policyName(), k -> policy(w.namespace(), wp));
      }
      workloads.add(labels.equals(w.labels()) ? w : w.withLabels(labels));
    }
    List<AuthorizationPolicy> all = new ArrayList<>(config.policies());
    all.addAll(policies.values());
    return new MeshConfig(workloads, config.services(), all);
  }

  private static Waypoint resolve(
      GatewayAddress g,
      List<Workload> workloads,
      Map<String, Workload> byUid,
      Map<String, Service> byName) {
    Set<String> principals = new TreeSet<>();
    if (g.address() != null) {
      Workload found = null;
      for (Workload w : workloads) {
        if (w.addresses().contains(g.address())) {
          found = w;
          principals.add(principal(w.identity()));
        }
      }
      return found == null ? null : new Waypoint(found.namespace(), found.name(), principals);
    }
    Service s = byName.get(g.namespacedHostname());
    if (s == null) {
      return null;
    }
    for (String uid : s.endpoints()) {
      Workload w = byUid.get(uid);
      if (w != null) {
        principals.add(principal(w.identity()));
      }
    }
    // The waypoint's Gateway is named like its Service: the hostname's first label.
    String host = s.hostname();
    int dot = host.indexOf('.');
    return new Waypoint(s.namespace(), dot < 0 ? host : host.substring(0, dot), principals);
  }

  /** Istio's principal form: the SPIFFE ID without its scheme. */
  private static String principal(SpiffeId id) {
    return id.uri().substring(SpiffeId.SCHEME.length());
  }

  private static AuthorizationPolicy policy(String namespace, Waypoint wp) {
    List<StringMatch> principals = new ArrayList<>();
    for (String p : wp.principals()) {
      principals.add(new StringMatch.Exact(p));
    }
    Match from = Match.principals(principals);
    return new AuthorizationPolicy(
        wp.policyName(),
        namespace,
        AuthorizationPolicy.Scope.WORKLOAD_SELECTOR,
        AuthorizationPolicy.Action.ALLOW,
        Map.of(wp.label(), "true"),
        List.of(new Rule(List.of(new Clause(List.of(from))))),
        false);
  }
}
