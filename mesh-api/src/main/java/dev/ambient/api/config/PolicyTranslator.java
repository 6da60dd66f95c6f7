package dev.ambient.api.config;

import static dev.ambient.api.config.AuthorizationPolicyKeys.CONDITION_KEYS;
import static dev.ambient.api.config.AuthorizationPolicyKeys.OPERATION_KEYS;
import static dev.ambient.api.config.AuthorizationPolicyKeys.RULE_KEYS;
import static dev.ambient.api.config.AuthorizationPolicyKeys.SOURCE_KEYS;
import static dev.ambient.api.config.AuthorizationPolicyKeys.SPEC_KEYS;

import dev.ambient.api.authz.AuthorizationPolicy;
import dev.ambient.api.authz.AuthorizationPolicy.Action;
import dev.ambient.api.authz.AuthorizationPolicy.Scope;
import dev.ambient.api.authz.Cidr;
import dev.ambient.api.authz.Clause;
import dev.ambient.api.authz.Match;
import dev.ambient.api.authz.Rule;
import dev.ambient.api.authz.StringMatch;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Translates an Istio {@code AuthorizationPolicy} (Kubernetes style) into the L4 model ztunnel
 * enforces, with Istio's ambient semantics: L7 fields make an ALLOW rule never match and are
 * dropped from a DENY rule; AUDIT, CUSTOM and targetRef policies do not reach L4.
 */
final class PolicyTranslator {
  static final String SPIFFE = "spiffe://";
  static final String DRY_RUN_ANNOTATION = "istio.io/dry-run";

  private static final Set<String> TOP_KEYS =
      Set.of("apiVersion", "kind", "metadata", "spec", "status");
  // Server-managed metadata a `kubectl get -o yaml` carries; accepted and ignored.
  private static final Set<String> META_KEYS =
      Set.of(
          "name",
          "namespace",
          "labels",
          "annotations",
          "uid",
          "resourceVersion",
          "generation",
          "creationTimestamp",
          "managedFields",
          "finalizers",
          "ownerReferences");
  private final Reporter r;
  private final Defaults defaults;
  private final List<String> notes;

  private PolicyTranslator(Reporter r, Defaults defaults, List<String> notes) {
    this.r = r;
    this.defaults = defaults;
    this.notes = notes;
  }

  /**
   * The L4 policy, or {@code null} when it has problems (reported) or does not apply at L4 (noted).
   */
  static AuthorizationPolicy translate(
      Object raw, Reporter r, Defaults defaults, List<String> notes) {
    return new PolicyTranslator(r, defaults, notes).translate(raw);
  }

  private AuthorizationPolicy translate(Object raw) {
    int before = r.count();
    int notesBefore = notes.size();
    YamlMap top = YamlMap.of(raw, "", r);
    if (top == null) {
      return null;
    }
    top.rejectUnknown(TOP_KEYS);
    String apiVersion = top.string("apiVersion");
    if (apiVersion != null && !apiVersion.startsWith("security.istio.io/")) {
      r.field("apiVersion", Text.quote(apiVersion) + " is not security.istio.io/<version>");
    }
    String kind = top.string("kind");
    if (kind != null && !kind.equals("AuthorizationPolicy")) {
      r.field("kind", Text.quote(kind) + " is not AuthorizationPolicy");
    }
    YamlMap meta = top.map("metadata");
    String name = null;
    String namespace = null;
    boolean dryRun = false;
    if (meta == null) {
      if (!top.has("metadata")) {
        r.field("metadata", "is required");
      }
    } else {
      meta.rejectUnknown(META_KEYS);
      name = meta.requiredString("name");
      if (name != null) {
        WorkloadReader.check(r, "metadata.name", Names.dnsSubdomain(name));
      }
      namespace = meta.requiredString("namespace");
      if (namespace != null) {
        WorkloadReader.check(r, "metadata.namespace", Names.dnsLabel(namespace));
      }
      meta.stringMap("labels");
      Map<String, String> annotations = meta.stringMap("annotations");
      String dry = annotations.get(DRY_RUN_ANNOTATION);
      if (dry != null) {
        switch (dry) {
          case "true" -> dryRun = true;
          case "false" -> dryRun = false;
          default ->
              r.field(
                  "metadata.annotations." + DRY_RUN_ANNOTATION,
                  Text.quote(dry) + " is not \"true\" or \"false\"");
        }
      }
    }
    YamlMap spec = top.map("spec");
    Map<String, String> selector = Map.of();
    String actionText = "ALLOW";
    List<Rule> rules = new ArrayList<>();
    boolean targeted = false;
    if (spec != null) {
      spec.rejectUnknown(SPEC_KEYS);
      YamlMap sel = spec.map("selector");
      if (sel != null) {
        sel.rejectUnknown(Set.of("matchLabels"));
        selector = sel.stringMap("matchLabels");
      }
      targeted = spec.has("targetRef") || spec.has("targetRefs");
      if (targeted && sel != null) {
        r.field("spec.selector", "cannot be set together with targetRef/targetRefs");
      }
      String a = spec.string("action");
      if (a != null) {
        actionText = a;
      }
      if (!Set.of("ALLOW", "DENY", "AUDIT", "CUSTOM").contains(actionText)) {
        r.field(
            "spec.action", Text.quote(actionText) + " is not one of ALLOW, DENY, AUDIT, CUSTOM");
      }
      if (spec.has("provider")) {
        spec.map("provider");
        if (!actionText.equals("CUSTOM")) {
          r.field("spec.provider", "is only allowed with action CUSTOM");
        }
      }
      // AUDIT/CUSTOM rules are still validated, with DENY's tolerance of L7 fields.
      Action semantics = actionText.equals("ALLOW") ? Action.ALLOW : Action.DENY;
      List<?> rawRules = spec.list("rules");
      for (int i = 0; i < rawRules.size(); i++) {
        YamlMap rule = YamlMap.of(rawRules.get(i), "spec.rules[" + i + "]", r);
        if (rule != null) {
          rules.add(rule(rule, semantics));
        }
      }
    }
    if (r.count() != before) {
      return null;
    }
    boolean skipped = actionText.equals("AUDIT") || actionText.equals("CUSTOM") || targeted;
    if (skipped) {
      // Rule notes (L7 fields) do not matter for a policy that is not used at L4.
      notes.subList(notesBefore, notes.size()).clear();
    }
    if (actionText.equals("AUDIT") || actionText.equals("CUSTOM")) {
      notes.add(r.object() + ": action " + actionText + " is not enforced at L4 (skipped)");
      return null;
    }
    if (targeted) {
      notes.add(r.object() + ": targetRef policies apply to waypoints, not at L4 (skipped)");
      return null;
    }
    Action action = Action.valueOf(actionText);
    Scope scope =
        !selector.isEmpty()
            ? Scope.WORKLOAD_SELECTOR
            : namespace.equals(defaults.rootNamespace()) ? Scope.GLOBAL : Scope.NAMESPACE;
    return new AuthorizationPolicy(name, namespace, scope, action, selector, rules, dryRun);
  }

  private Rule rule(YamlMap rule, Action action) {
    rule.rejectUnknown(RULE_KEYS);
    List<String> l7 = new ArrayList<>();
    List<Clause> clauses = new ArrayList<>();
    List<Match> from = entries(rule, "from", "source", l7, true);
    if (!from.isEmpty()) {
      clauses.add(new Clause(from));
    }
    List<Match> to = entries(rule, "to", "operation", l7, false);
    if (!to.isEmpty()) {
      clauses.add(new Clause(to));
    }
    // Conditions are ANDed in Istio, so each becomes its own clause (one Match each).
    List<?> when = rule.list("when");
    for (int i = 0; i < when.size(); i++) {
      YamlMap c = YamlMap.of(when.get(i), rule.path("when") + "[" + i + "]", r);
      if (c != null) {
        Match m = condition(c, l7);
        if (m != null) {
          clauses.add(new Clause(List.of(m)));
        }
      }
    }
    if (l7.isEmpty()) {
      return new Rule(clauses);
    }
    if (action == Action.ALLOW) {
      notes.add(
          r.object()
              + ": "
              + rule.path()
              + " uses L7 fields "
              + l7
              + "; at L4 this ALLOW rule never matches");
      return Rule.never();
    }
    notes.add(
        r.object()
            + ": "
            + rule.path()
            + " uses L7 fields "
            + l7
            + "; they are dropped at L4 and the rest of the rule applies");
    return new Rule(clauses);
  }

  /** Reads {@code from[]} (sources) or {@code to[]} (operations): one Match per entry. */
  private List<Match> entries(
      YamlMap rule, String key, String inner, List<String> l7, boolean src) {
    List<Match> out = new ArrayList<>();
    List<?> list = rule.list(key);
    for (int i = 0; i < list.size(); i++) {
      YamlMap entry = YamlMap.of(list.get(i), rule.path(key) + "[" + i + "]", r);
      if (entry == null) {
        continue;
      }
      entry.rejectUnknown(Set.of(inner));
      YamlMap body = entry.map(inner);
      if (body == null) {
        if (!entry.has(inner)) {
          r.field(entry.path(inner), "is required");
        }
        continue;
      }
      MatchBuilder b = new MatchBuilder();
      if (src) {
        source(body, b, l7);
      } else {
        operation(body, b, l7);
      }
      out.add(b.build());
    }
    return out;
  }

  private void source(YamlMap s, MatchBuilder b, List<String> l7) {
    s.rejectUnknown(SOURCE_KEYS);
    requireSomething(s, SOURCE_KEYS);
    principals(s, "principals", b.principals);
    principals(s, "notPrincipals", b.notPrincipals);
    strings(s, "namespaces", b.namespaces);
    strings(s, "notNamespaces", b.notNamespaces);
    // At L4 the remote address is the source address.
    cidrs(s, "ipBlocks", b.sourceIps);
    cidrs(s, "remoteIpBlocks", b.sourceIps);
    cidrs(s, "notIpBlocks", b.notSourceIps);
    cidrs(s, "notRemoteIpBlocks", b.notSourceIps);
    boolean sa = s.has("serviceAccounts") || s.has("notServiceAccounts");
    if (sa) {
      for (String other : List.of("principals", "notPrincipals", "namespaces", "notNamespaces")) {
        if (s.has(other)) {
          r.field(s.path(other), "cannot be set together with serviceAccounts/notServiceAccounts");
        }
      }
    }
    serviceAccounts(s, "serviceAccounts", b.principals);
    serviceAccounts(s, "notServiceAccounts", b.notPrincipals);
    s.stringList("requestPrincipals");
    s.stringList("notRequestPrincipals");
    l7(s, l7, "requestPrincipals", "notRequestPrincipals");
  }

  private void operation(YamlMap o, MatchBuilder b, List<String> l7) {
    o.rejectUnknown(OPERATION_KEYS);
    requireSomething(o, OPERATION_KEYS);
    ports(o, "ports", b.ports);
    ports(o, "notPorts", b.notPorts);
    for (String k : List.of("hosts", "notHosts", "methods", "notMethods", "paths", "notPaths")) {
      o.stringList(k);
    }
    l7(o, l7, "hosts", "notHosts", "methods", "notMethods", "paths", "notPaths");
  }

  /** One {@code when} condition; {@code null} when it is L7 (recorded) or broken (reported). */
  private Match condition(YamlMap c, List<String> l7) {
    c.rejectUnknown(CONDITION_KEYS);
    String key = c.requiredString("key");
    if (!c.hasNonEmptyList("values")
        && !c.hasNonEmptyList("notValues")
        && !(c.has("values") && !(c.raw("values") instanceof List))
        && !(c.has("notValues") && !(c.raw("notValues") instanceof List))) {
      r.field(c.path("values"), "one of values or notValues must be non-empty");
    }
    if (key == null) {
      return null;
    }
    MatchBuilder b = new MatchBuilder();
    switch (key) {
      case "source.ip", "remote.ip" -> {
        cidrs(c, "values", b.sourceIps);
        cidrs(c, "notValues", b.notSourceIps);
      }
      case "source.namespace" -> {
        strings(c, "values", b.namespaces);
        strings(c, "notValues", b.notNamespaces);
      }
      case "source.principal" -> {
        principals(c, "values", b.principals);
        principals(c, "notValues", b.notPrincipals);
      }
      case "source.serviceAccount" -> {
        serviceAccounts(c, "values", b.principals);
        serviceAccounts(c, "notValues", b.notPrincipals);
      }
      case "destination.ip" -> {
        cidrs(c, "values", b.destinationIps);
        cidrs(c, "notValues", b.notDestinationIps);
      }
      case "destination.port" -> {
        ports(c, "values", b.ports);
        ports(c, "notValues", b.notPorts);
      }
      default -> {
        if (isL7Key(key)) {
          c.stringList("values");
          c.stringList("notValues");
          l7.add(c.path("key") + "=" + key);
        } else {
          r.field(c.path("key"), Text.quote(key) + " is not a known condition key");
        }
        return null;
      }
    }
    return b.build();
  }

  private static boolean isL7Key(String key) {
    return (key.startsWith("request.headers[") && key.endsWith("]"))
        || (key.startsWith("request.auth.claims[") && key.endsWith("]"))
        || key.equals("request.auth.principal")
        || key.equals("request.auth.audiences")
        || key.equals("request.auth.presenter")
        || key.equals("connection.sni")
        || key.equals("destination.labels")
        || key.startsWith("experimental.envoy.filters.");
  }

  private void requireSomething(YamlMap m, Set<String> keys) {
    for (String k : keys) {
      if (m.hasNonEmptyList(k) || (m.has(k) && !(m.raw(k) instanceof List))) {
        return; // a non-empty field, or a type error reported where the field is read
      }
    }
    r.field(m.path(), "must set at least one non-empty field");
  }

  private void l7(YamlMap m, List<String> l7, String... keys) {
    for (String k : keys) {
      if (m.hasNonEmptyList(k)) {
        l7.add(m.path(k));
      }
    }
  }

  private void strings(YamlMap m, String key, List<StringMatch> out) {
    List<?> list = m.list(key);
    for (int i = 0; i < list.size(); i++) {
      String s = string(m, key, i, list.get(i));
      if (s != null) {
        out.add(StringMatch.parseIstio(s));
      }
    }
  }

  /**
   * Istio writes principals as {@code <trust-domain>/ns/<ns>/sa/<sa>}: they are matched against the
   * SPIFFE ID without its {@code spiffe://} scheme. A pattern written with the scheme is accepted
   * and the scheme removed, so both spellings mean the same.
   */
  private void principals(YamlMap m, String key, List<StringMatch> out) {
    List<?> list = m.list(key);
    for (int i = 0; i < list.size(); i++) {
      String s = string(m, key, i, list.get(i));
      if (s == null) {
        continue;
      }
      if (s.startsWith(SPIFFE)) {
        s = s.substring(SPIFFE.length());
        if (s.isEmpty()) {
          r.field(m.path(key) + "[" + i + "]", "principal is empty after spiffe://");
          continue;
        }
      }
      out.add(StringMatch.parseIstio(s));
    }
  }

  /** {@code <namespace>/<service-account>} values become exact principals in our trust domain. */
  private void serviceAccounts(YamlMap m, String key, List<StringMatch> out) {
    List<?> list = m.list(key);
    for (int i = 0; i < list.size(); i++) {
      String s = string(m, key, i, list.get(i));
      if (s == null) {
        continue;
      }
      String field = m.path(key) + "[" + i + "]";
      int slash = s.indexOf('/');
      if (slash < 0 || s.indexOf('/', slash + 1) >= 0) {
        r.field(field, Text.quote(s) + " is not <namespace>/<service-account>");
        continue;
      }
      String ns = s.substring(0, slash);
      String sa = s.substring(slash + 1);
      String problem = Names.dnsLabel(ns);
      if (problem == null) {
        problem = Names.dnsSubdomain(sa);
      }
      if (problem != null) {
        r.field(field, problem);
        continue;
      }
      out.add(new StringMatch.Exact(defaults.trustDomain() + "/ns/" + ns + "/sa/" + sa));
    }
  }

  private void cidrs(YamlMap m, String key, List<Cidr> out) {
    List<?> list = m.list(key);
    for (int i = 0; i < list.size(); i++) {
      String s = string(m, key, i, list.get(i));
      if (s == null) {
        continue;
      }
      try {
        out.add(Cidr.parse(s));
      } catch (IllegalArgumentException e) {
        r.field(m.path(key) + "[" + i + "]", Text.quote(s) + " is not an IP address or CIDR block");
      }
    }
  }

  /** Istio writes ports as strings ("8080"); a bare YAML number is accepted too. */
  private void ports(YamlMap m, String key, List<Integer> out) {
    List<?> list = m.list(key);
    for (int i = 0; i < list.size(); i++) {
      Object v = list.get(i);
      String field = m.path(key) + "[" + i + "]";
      Integer port = null;
      if (v instanceof Integer n) {
        port = n;
      } else if (v instanceof String s
          && !s.isEmpty()
          && s.length() <= 5
          && s.chars().allMatch(ch -> ch >= '0' && ch <= '9')) {
        port = Integer.parseInt(s);
      } else if (!(v instanceof String) && !(v instanceof Number)) {
        r.field(field, "expected a port number, got " + Text.typeOf(v));
        continue;
      }
      if (port == null || port < 1 || port > 65535) {
        r.field(field, Text.quote(v) + " is not a port number");
        continue;
      }
      out.add(port);
    }
  }

  private String string(YamlMap m, String key, int i, Object v) {
    String field = m.path(key) + "[" + i + "]";
    if (!(v instanceof String s)) {
      r.field(field, "expected a string, got " + Text.typeOf(v));
      return null;
    }
    if (s.isEmpty()) {
      r.field(field, "must not be empty");
      return null;
    }
    return s;
  }
}
