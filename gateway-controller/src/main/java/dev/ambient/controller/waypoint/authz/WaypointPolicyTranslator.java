package dev.ambient.controller.waypoint.authz;

import static dev.ambient.api.config.AuthorizationPolicyKeys.CONDITION_KEYS;
import static dev.ambient.api.config.AuthorizationPolicyKeys.OPERATION_KEYS;
import static dev.ambient.api.config.AuthorizationPolicyKeys.RULE_KEYS;
import static dev.ambient.api.config.AuthorizationPolicyKeys.SOURCE_KEYS;
import static dev.ambient.api.config.AuthorizationPolicyKeys.SPEC_KEYS;

import dev.ambient.api.authz.Cidr;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.BiFunction;

/**
 * Istio AuthorizationPolicies to the L7 policies one waypoint enforces, a pure function.
 *
 * <p>Attachment (Istio's {@code policyattachment.go}; waypoints ignore selectors): a policy applies
 * when one of its {@code targetRefs} (or the older {@code targetRef}) names, in the policy's own
 * namespace, the waypoint's {@code gateway.networking.k8s.io} Gateway (all its traffic) or a core
 * Service (that service's traffic through the waypoint, all ports); a policy in the root namespace
 * naming GatewayClass {@code istio-waypoint} applies to every waypoint. Policies without targetRefs
 * are ztunnel's (L4) and ignored here.
 *
 * <p>Failing closed. A policy that cannot be enforced as written never lets through what it was
 * meant to stop: an invalid DENY policy (or one with an unknown action) becomes a DENY of
 * everything for its targets; an invalid ALLOW policy becomes an ALLOW that admits nothing, so its
 * targets stay in "must match an ALLOW policy" mode (other valid ALLOW policies still admit their
 * traffic); an invalid AUDIT policy is left out (it never decides). CUSTOM has no external
 * authorization provider here, so it is refused the same way as an invalid DENY. Each such case is
 * a problem naming the policy and field. {@code istio.io/dry-run: "true"} policies are not enforced
 * (noted).
 *
 * <p>JWT: no RequestAuthentication filter runs in the waypoint, so requests carry no request
 * principal or claims. As in Istio without a JWT filter, {@code requestPrincipals} and {@code
 * request.auth.*} values never match and their {@code not} forms always hold: an ALLOW rule needing
 * one never admits, and a DENY rule needing one never denies (no request can present the principal
 * it names, so nothing it was meant to deny gets through).
 */
public final class WaypointPolicyTranslator {
  /** Istio's GatewayClass of waypoints; root-namespace policies targeting it apply to all. */
  public static final String WAYPOINT_CLASS = "istio-waypoint";

  static final String GATEWAY_GROUP = "gateway.networking.k8s.io";
  static final String DRY_RUN = "istio.io/dry-run";
  private static final String SPIFFE = "spiffe://";

  private static final Set<String> TARGET_KEYS = Set.of("group", "kind", "name", "namespace");

  /**
   * Mesh settings the translation needs.
   *
   * @param trustDomain for {@code serviceAccounts} ({@code <td>/ns/<ns>/sa/<sa>})
   * @param clusterDomain the DNS domain of service hostnames
   */
  public record Settings(String rootNamespace, String trustDomain, String clusterDomain) {
    public static final Settings DEFAULT =
        new Settings("istio-system", "cluster.local", "cluster.local");

    public Settings {
      Objects.requireNonNull(rootNamespace, "rootNamespace");
      Objects.requireNonNull(trustDomain, "trustDomain");
      Objects.requireNonNull(clusterDomain, "clusterDomain");
    }
  }

  private WaypointPolicyTranslator() {}

  /**
   * @param waypointNamespace the namespace of the waypoint's Gateway
   * @param gatewayName the name of the waypoint's Gateway
   */
  public static WaypointPolicies translate(
      List<GenericKubernetesResource> policies,
      String waypointNamespace,
      String gatewayName,
      Settings settings) {
    return translate(policies, waypointNamespace, gatewayName, WAYPOINT_CLASS, settings);
  }

  /**
   * @param waypointNamespace the namespace of the waypoint's Gateway
   * @param gatewayName the name of the waypoint's Gateway
   * @param gatewayClass the Gateway's class: a root-namespace policy targeting this GatewayClass
   *     applies to the waypoint (Istio's rule for {@code istio-waypoint}, for whichever of our
   *     classes the Gateway uses)
   */
  public static WaypointPolicies translate(
      List<GenericKubernetesResource> policies,
      String waypointNamespace,
      String gatewayName,
      String gatewayClass,
      Settings settings) {
    List<GenericKubernetesResource> sorted = new ArrayList<>(policies);
    sorted.sort(
        Comparator.comparing((GenericKubernetesResource p) -> p.getMetadata().getNamespace())
            .thenComparing(p -> p.getMetadata().getName()));
    List<L7Policy> waypoint = new ArrayList<>();
    Map<String, List<L7Policy>> byService = new LinkedHashMap<>();
    List<String> problems = new ArrayList<>();
    List<String> notes = new ArrayList<>();
    for (GenericKubernetesResource p : sorted) {
      new One(p, waypointNamespace, gatewayName, gatewayClass, settings, problems, notes)
          .translate(waypoint, byService);
    }
    return new WaypointPolicies(waypoint, byService, problems, notes);
  }

  /** The translation of one policy object. */
  private static final class One {
    private final String namespace;
    private final String name;
    private final Map<String, String> annotations;
    private final Object rawSpec;
    private final String waypointNamespace;
    private final String gatewayName;
    private final String gatewayClass;
    private final Settings settings;
    private final RawSpec raw;
    private final List<String> notes;

    One(
        GenericKubernetesResource p,
        String waypointNamespace,
        String gatewayName,
        String gatewayClass,
        Settings settings,
        List<String> problems,
        List<String> notes) {
      this.namespace = p.getMetadata().getNamespace();
      this.name = p.getMetadata().getName();
      this.annotations =
          p.getMetadata().getAnnotations() == null ? Map.of() : p.getMetadata().getAnnotations();
      this.rawSpec = p.getAdditionalProperties().get("spec");
      this.waypointNamespace = waypointNamespace;
      this.gatewayName = gatewayName;
      this.gatewayClass = gatewayClass;
      this.settings = settings;
      this.raw = new RawSpec(namespace + "/" + name, problems);
      this.notes = notes;
    }

    private String id() {
      return namespace + "/" + name;
    }

    void translate(List<L7Policy> waypoint, Map<String, List<L7Policy>> byService) {
      if (!namespace.equals(waypointNamespace) && !namespace.equals(settings.rootNamespace())) {
        // Only Service targets in other namespaces could still concern us.
        if (!hasTargetRefs()) {
          return;
        }
      }
      Map<String, Object> spec = raw.map(rawSpec, "spec");
      if (spec == null) {
        return; // no targets can be read: nothing is known to apply here
      }
      if (!spec.containsKey("targetRef") && !spec.containsKey("targetRefs")) {
        return; // a selector/namespace policy: enforced by ztunnel at L4
      }
      int before = raw.problemCount();
      boolean wholeWaypoint = false;
      List<String> services = new ArrayList<>();
      List<Object> refs = new ArrayList<>();
      List<String> paths = new ArrayList<>();
      if (spec.containsKey("targetRef")) {
        refs.add(spec.get("targetRef"));
        paths.add("spec.targetRef");
      }
      List<?> list = raw.list(spec.get("targetRefs"), "spec.targetRefs");
      for (int i = 0; i < list.size(); i++) {
        refs.add(list.get(i));
        paths.add("spec.targetRefs[" + i + "]");
      }
      for (int i = 0; i < refs.size(); i++) {
        String target = target(refs.get(i), paths.get(i));
        if (target == null) {
          continue;
        }
        if (target.isEmpty()) {
          wholeWaypoint = true;
        } else if (!services.contains(target)) {
          services.add(target);
        }
      }
      if (!wholeWaypoint && services.isEmpty()) {
        return;
      }
      L7Policy policy = policy(spec, before);
      if (policy == null) {
        return;
      }
      if (wholeWaypoint) {
        waypoint.add(policy);
      } else {
        for (String s : services) {
          byService.computeIfAbsent(s, k -> new ArrayList<>()).add(policy);
        }
      }
    }

    private boolean hasTargetRefs() {
      return rawSpec instanceof Map<?, ?> m
          && (m.containsKey("targetRef") || m.containsKey("targetRefs"));
    }

    /**
     * The target one reference names for this waypoint: "" for the whole waypoint, a service
     * resource name, or null when it is not about this waypoint (or broken: reported).
     */
    private String target(Object rawRef, String path) {
      Map<String, Object> ref = raw.map(rawRef, path);
      if (ref == null) {
        if (rawRef == null) {
          raw.problem(path, "must not be null");
        }
        return null;
      }
      raw.rejectUnknown(ref, TARGET_KEYS, path);
      String group = raw.string(ref.get("group"), path + ".group");
      String kind = raw.string(ref.get("kind"), path + ".kind");
      String target = raw.string(ref.get("name"), path + ".name");
      String ns = raw.string(ref.get("namespace"), path + ".namespace");
      if (kind == null || kind.isEmpty()) {
        raw.problem(path + ".kind", "is required");
        return null;
      }
      if (target == null || target.isEmpty()) {
        raw.problem(path + ".name", "is required");
        return null;
      }
      if (ns != null && !ns.isEmpty() && !ns.equals(namespace)) {
        raw.problem(
            path + ".namespace",
            "\""
                + ns
                + "\" differs from the policy's namespace (cross-namespace targets are not"
                + " allowed)");
        return null;
      }
      String g = group == null ? "" : group;
      if (kind.equals("Gateway") && g.equals(GATEWAY_GROUP)) {
        return namespace.equals(waypointNamespace) && target.equals(gatewayName) ? "" : null;
      }
      if (kind.equals("GatewayClass") && g.equals(GATEWAY_GROUP)) {
        return namespace.equals(settings.rootNamespace()) && target.equals(gatewayClass)
            ? ""
            : null;
      }
      if (kind.equals("Service") && g.isEmpty()) {
        return namespace + "/" + target + "." + namespace + ".svc." + settings.clusterDomain();
      }
      if (kind.equals("ServiceEntry") && g.equals("networking.istio.io")) {
        if (namespace.equals(waypointNamespace)) {
          notes.add(
              "AuthorizationPolicy "
                  + id()
                  + ": "
                  + path
                  + ": ServiceEntry targets are not supported (the mesh has no ServiceEntries)");
        }
        return null;
      }
      if (namespace.equals(waypointNamespace) || namespace.equals(settings.rootNamespace())) {
        raw.problem(
            path,
            "group \""
                + g
                + "\" kind \""
                + kind
                + "\" is not a Gateway, GatewayClass ("
                + GATEWAY_GROUP
                + "), Service (core) or ServiceEntry");
      }
      return null;
    }

    /** The enforced form of the policy: as written, its fail-closed stand-in, or null. */
    private L7Policy policy(Map<String, Object> spec, int problemsBefore) {
      if ("true".equals(annotations.get(DRY_RUN))) {
        notes.add(
            "AuthorizationPolicy "
                + id()
                + ": dry-run policies are not enforced (shadow evaluation is not implemented)");
        return null;
      }
      raw.rejectUnknown(spec, SPEC_KEYS, "spec");
      String action = raw.string(spec.get("action"), "spec.action");
      if (action == null) {
        action = spec.containsKey("action") ? "<invalid>" : "ALLOW";
      }
      if (spec.containsKey("selector")) {
        raw.problem("spec.selector", "cannot be set together with targetRef/targetRefs");
      }
      if (spec.containsKey("provider") && !action.equals("CUSTOM")) {
        raw.problem("spec.provider", "is only allowed with action CUSTOM");
      }
      List<L7Rule> rules = new ArrayList<>();
      List<?> rawRules = raw.list(spec.get("rules"), "spec.rules");
      for (int i = 0; i < rawRules.size(); i++) {
        String path = "spec.rules[" + i + "]";
        Map<String, Object> r = raw.map(rawRules.get(i), path);
        if (r != null) {
          rules.add(rule(r, path));
        } else if (rawRules.get(i) == null) {
          rules.add(L7Rule.any()); // Istio: an empty rule matches everything
        }
      }
      boolean broken = raw.problemCount() != problemsBefore;
      switch (action) {
        case "ALLOW":
          if (broken) {
            raw.problem("spec", "invalid ALLOW policy: it admits nothing (fail closed)");
            return L7Policy.allowNothing(id());
          }
          return new L7Policy(id(), L7Action.ALLOW, rules);
        case "DENY":
          if (broken) {
            raw.problem(
                "spec", "invalid DENY policy: all traffic of its targets is denied (fail closed)");
            return L7Policy.denyAll(id());
          }
          return new L7Policy(id(), L7Action.DENY, rules);
        case "AUDIT":
          if (broken) {
            raw.problem("spec", "invalid AUDIT policy: left out");
            return null;
          }
          return new L7Policy(id(), L7Action.AUDIT, rules);
        case "CUSTOM":
          raw.problem(
              "spec.action",
              "CUSTOM needs an external authorization provider, which this waypoint does not have:"
                  + " all traffic of its targets is denied (fail closed)");
          return L7Policy.denyAll(id());
        default:
          raw.problem(
              "spec.action",
              "\""
                  + action
                  + "\" is not one of ALLOW, DENY, AUDIT, CUSTOM: all traffic of its targets is"
                  + " denied (fail closed)");
          return L7Policy.denyAll(id());
      }
    }

    private L7Rule rule(Map<String, Object> r, String path) {
      raw.rejectUnknown(r, RULE_KEYS, path);
      List<L7Source> from = entries(r, path, "from", "source", this::source);
      List<L7Operation> to = entries(r, path, "to", "operation", this::operation);
      List<L7Condition> when = new ArrayList<>();
      List<?> whenList = raw.list(r.get("when"), path + ".when");
      for (int i = 0; i < whenList.size(); i++) {
        String at = path + ".when[" + i + "]";
        Map<String, Object> c = raw.map(whenList.get(i), at);
        if (c == null) {
          raw.problem(at, "must be an object");
          continue;
        }
        L7Condition condition = condition(c, at);
        if (condition != null) {
          when.add(condition);
        }
      }
      return new L7Rule(from, to, when);
    }

    /** {@code from[].source} or {@code to[].operation}: each entry's one inner object, parsed. */
    private <T> List<T> entries(
        Map<String, Object> rule,
        String path,
        String key,
        String inner,
        BiFunction<Map<String, Object>, String, T> parse) {
      List<T> out = new ArrayList<>();
      List<?> list = raw.list(rule.get(key), path + "." + key);
      for (int i = 0; i < list.size(); i++) {
        String at = path + "." + key + "[" + i + "]";
        Map<String, Object> e = entry(list.get(i), at, inner);
        if (e != null) {
          out.add(parse.apply(e, at + "." + inner));
        }
      }
      return out;
    }

    private Map<String, Object> entry(Object rawEntry, String path, String inner) {
      Map<String, Object> e = raw.map(rawEntry, path);
      if (e == null) {
        raw.problem(path, "must be an object with " + inner);
        return null;
      }
      raw.rejectUnknown(e, Set.of(inner), path);
      Map<String, Object> body = raw.map(e.get(inner), path + "." + inner);
      if (body == null) {
        raw.problem(path + "." + inner, "is required");
      }
      return body;
    }

    private L7Source source(Map<String, Object> s, String path) {
      raw.rejectUnknown(s, SOURCE_KEYS, path);
      requireSomething(s, SOURCE_KEYS, path);
      List<String> principals = principals(s, "principals", path);
      List<String> notPrincipals = principals(s, "notPrincipals", path);
      boolean sa = s.containsKey("serviceAccounts") || s.containsKey("notServiceAccounts");
      if (sa) {
        for (String other : List.of("principals", "notPrincipals", "namespaces", "notNamespaces")) {
          if (s.containsKey(other)) {
            raw.problem(
                path + "." + other,
                "cannot be set together with serviceAccounts/notServiceAccounts");
          }
        }
        principals.addAll(serviceAccounts(s, "serviceAccounts", path));
        notPrincipals.addAll(serviceAccounts(s, "notServiceAccounts", path));
      }
      boolean requestPrincipals = !raw.strings(s, "requestPrincipals", path).isEmpty();
      raw.strings(s, "notRequestPrincipals", path);
      return new L7Source(
          principals,
          notPrincipals,
          namespaces(s, "namespaces", path),
          namespaces(s, "notNamespaces", path),
          cidrs(s, "ipBlocks", path),
          cidrs(s, "notIpBlocks", path),
          cidrs(s, "remoteIpBlocks", path),
          cidrs(s, "notRemoteIpBlocks", path),
          requestPrincipals);
    }

    private L7Operation operation(Map<String, Object> o, String path) {
      raw.rejectUnknown(o, OPERATION_KEYS, path);
      requireSomething(o, OPERATION_KEYS, path);
      return new L7Operation(
          lower(raw.strings(o, "hosts", path)),
          lower(raw.strings(o, "notHosts", path)),
          ports(o.get("ports"), path + ".ports"),
          ports(o.get("notPorts"), path + ".notPorts"),
          raw.strings(o, "methods", path),
          raw.strings(o, "notMethods", path),
          paths(o, "paths", path),
          paths(o, "notPaths", path));
    }

    private L7Condition condition(Map<String, Object> c, String path) {
      raw.rejectUnknown(c, CONDITION_KEYS, path);
      String key = raw.string(c.get("key"), path + ".key");
      if (key == null || key.isEmpty()) {
        raw.problem(path + ".key", "is required");
        return null;
      }
      boolean hasValues = !raw.list(c.get("values"), path + ".values").isEmpty();
      boolean hasNot = !raw.list(c.get("notValues"), path + ".notValues").isEmpty();
      if (!hasValues && !hasNot) {
        raw.problem(path + ".values", "one of values or notValues must be non-empty");
        return null;
      }
      if (key.startsWith("request.headers[") && key.endsWith("]")) {
        String header = key.substring("request.headers[".length(), key.length() - 1);
        if (header.isEmpty() || !header.chars().allMatch(One::tokenChar)) {
          raw.problem(path + ".key", "\"" + key + "\": the header name is not a valid token");
          return null;
        }
        return new L7Condition(
            L7Condition.Key.REQUEST_HEADER,
            header.toLowerCase(Locale.ROOT),
            raw.strings(c, "values", path),
            raw.strings(c, "notValues", path));
      }
      switch (key) {
        case "source.principal":
          return new L7Condition(
              L7Condition.Key.SOURCE_PRINCIPAL,
              null,
              principals(c, "values", path),
              principals(c, "notValues", path));
        case "source.namespace":
          return new L7Condition(
              L7Condition.Key.SOURCE_NAMESPACE,
              null,
              namespaces(c, "values", path),
              namespaces(c, "notValues", path));
        case "source.ip":
        case "remote.ip":
        case "destination.ip":
          return new L7Condition(
              key.equals("source.ip")
                  ? L7Condition.Key.SOURCE_IP
                  : key.equals("remote.ip")
                      ? L7Condition.Key.REMOTE_IP
                      : L7Condition.Key.DESTINATION_IP,
              null,
              cidrs(c, "values", path),
              cidrs(c, "notValues", path));
        case "destination.port":
          return new L7Condition(
              L7Condition.Key.DESTINATION_PORT,
              null,
              ports(c.get("values"), path + ".values").stream().map(String::valueOf).toList(),
              ports(c.get("notValues"), path + ".notValues").stream()
                  .map(String::valueOf)
                  .toList());
        default:
          if (key.equals("request.auth.principal")
              || key.equals("request.auth.audiences")
              || key.equals("request.auth.presenter")
              || (key.startsWith("request.auth.claims[") && key.endsWith("]"))) {
            return new L7Condition(
                L7Condition.Key.REQUEST_AUTH,
                null,
                raw.strings(c, "values", path),
                raw.strings(c, "notValues", path));
          }
          raw.problem(
              path + ".key", "\"" + key + "\" is not a condition key this waypoint supports");
          return null;
      }
    }

    private void requireSomething(Map<String, Object> m, Set<String> keys, String path) {
      for (String k : keys) {
        Object v = m.get(k);
        if (v != null && !(v instanceof List<?> l && l.isEmpty())) {
          return;
        }
      }
      raw.problem(path, "must set at least one non-empty field");
    }

    /** Istio principals are SPIFFE IDs without the scheme; a value with it means the same. */
    private List<String> principals(Map<String, Object> m, String key, String path) {
      List<String> out = new ArrayList<>();
      List<String> values = raw.strings(m, key, path);
      for (int i = 0; i < values.size(); i++) {
        String s = values.get(i);
        if (s.startsWith(SPIFFE)) {
          s = s.substring(SPIFFE.length());
          if (s.isEmpty()) {
            raw.problem(path + "." + key + "[" + i + "]", "principal is empty after spiffe://");
            continue;
          }
        }
        out.add(s);
      }
      return out;
    }

    private List<String> serviceAccounts(Map<String, Object> m, String key, String path) {
      List<String> out = new ArrayList<>();
      List<String> values = raw.strings(m, key, path);
      for (int i = 0; i < values.size(); i++) {
        String s = values.get(i);
        int slash = s.indexOf('/');
        if (slash <= 0
            || slash == s.length() - 1
            || s.indexOf('/', slash + 1) >= 0
            || !dnsChars(s.substring(0, slash))
            || !dnsChars(s.substring(slash + 1).replace(".", ""))) {
          raw.problem(
              path + "." + key + "[" + i + "]",
              "\"" + s + "\" is not <namespace>/<service-account>");
          continue;
        }
        out.add(
            settings.trustDomain()
                + "/ns/"
                + s.substring(0, slash)
                + "/sa/"
                + s.substring(slash + 1));
      }
      return out;
    }

    /**
     * Namespace patterns: a namespace is a DNS label, so the literal part may only hold {@code
     * [a-z0-9-]} (this also keeps it safe to embed in the regex the Envoy side builds).
     */
    private List<String> namespaces(Map<String, Object> m, String key, String path) {
      List<String> out = new ArrayList<>();
      List<String> values = raw.strings(m, key, path);
      for (int i = 0; i < values.size(); i++) {
        String s = values.get(i);
        String literal = s;
        if (s.equals("*")) {
          literal = "";
        } else if (s.endsWith("*")) {
          literal = s.substring(0, s.length() - 1);
        } else if (s.startsWith("*")) {
          literal = s.substring(1);
        }
        if (!dnsChars(literal)) {
          raw.problem(
              path + "." + key + "[" + i + "]",
              "\""
                  + s
                  + "\" is not a namespace or namespace pattern ([a-z0-9-] with a leading or"
                  + " trailing *)");
          continue;
        }
        out.add(s);
      }
      return out;
    }

    private List<String> cidrs(Map<String, Object> m, String key, String path) {
      List<String> out = new ArrayList<>();
      List<String> values = raw.strings(m, key, path);
      for (int i = 0; i < values.size(); i++) {
        try {
          Cidr.parse(values.get(i));
          out.add(values.get(i));
        } catch (IllegalArgumentException e) {
          raw.problem(
              path + "." + key + "[" + i + "]",
              "\"" + values.get(i) + "\" is not an IP address or CIDR block");
        }
      }
      return out;
    }

    /** Istio writes ports as strings ("8080"); a bare number is accepted too. */
    private List<Integer> ports(Object rawList, String path) {
      List<Integer> out = new ArrayList<>();
      List<?> l = raw.list(rawList, path);
      for (int i = 0; i < l.size(); i++) {
        Object v = l.get(i);
        Integer port = null;
        if (v instanceof Integer n) {
          port = n;
        } else if (v instanceof String s
            && !s.isEmpty()
            && s.length() <= 5
            && s.chars().allMatch(ch -> ch >= '0' && ch <= '9')) {
          port = Integer.parseInt(s);
        }
        if (port == null || port < 1 || port > 65535) {
          raw.problem(path + "[" + i + "]", "\"" + v + "\" is not a port number (1-65535)");
          continue;
        }
        out.add(port);
      }
      return out;
    }

    /** Paths are absolute, or a {@code *} pattern; templates ({@code {*}}) are not supported. */
    private List<String> paths(Map<String, Object> m, String key, String path) {
      List<String> out = new ArrayList<>();
      List<String> values = raw.strings(m, key, path);
      for (int i = 0; i < values.size(); i++) {
        String s = values.get(i);
        String at = path + "." + key + "[" + i + "]";
        if (s.indexOf('{') >= 0 || s.indexOf('}') >= 0) {
          raw.problem(at, "\"" + s + "\": path templates ({*}, {**}) are not supported");
          continue;
        }
        if (!s.startsWith("/") && !s.startsWith("*")) {
          raw.problem(at, "\"" + s + "\" must start with / (or be a * pattern)");
          continue;
        }
        out.add(s);
      }
      return out;
    }

    private static List<String> lower(List<String> hosts) {
      return hosts.stream().map(h -> h.toLowerCase(Locale.ROOT)).toList();
    }

    private static boolean dnsChars(String s) {
      return s.chars().allMatch(c -> (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-');
    }

    private static boolean tokenChar(int c) {
      return (c >= 'a' && c <= 'z')
          || (c >= 'A' && c <= 'Z')
          || (c >= '0' && c <= '9')
          || "!#$%&'*+-.^_`|~".indexOf(c) >= 0;
    }
  }
}
