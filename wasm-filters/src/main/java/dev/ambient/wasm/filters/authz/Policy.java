package dev.ambient.wasm.filters.authz;

import dev.ambient.wasm.sdk.ConfigException;
import dev.ambient.wasm.sdk.JsonArray;
import dev.ambient.wasm.sdk.JsonObject;
import dev.ambient.wasm.sdk.JsonValue;
import java.util.ArrayList;
import java.util.List;

/** One AuthorizationPolicy: {@code {"name", "namespace", "spec": {"action", "rules"}}}. */
final class Policy {
  static final int ALLOW = 0;
  static final int DENY = 1;
  static final int AUDIT = 2;

  final String name;
  final int action;
  private final List<Rule> rules;

  private Policy(String name, int action, List<Rule> rules) {
    this.name = name;
    this.action = action;
    this.rules = rules;
  }

  static Policy parse(JsonObject o) throws ConfigException {
    o.requireOnly("name", "namespace", "spec");
    String name = o.string("name");
    if (name == null || name.isEmpty()) {
      throw new ConfigException(o.path() + ".name: required");
    }
    String namespace = o.string("namespace");
    JsonObject spec = o.object("spec");
    if (spec == null) {
      throw new ConfigException(o.path() + ".spec: required");
    }
    // selector/targetRef(s) choose where a policy applies; the controller has done that already.
    spec.requireOnly("action", "rules", "selector", "targetRef", "targetRefs", "provider");
    String a = spec.string("action", "ALLOW");
    int action;
    if (a.equals("ALLOW")) {
      action = ALLOW;
    } else if (a.equals("DENY")) {
      action = DENY;
    } else if (a.equals("AUDIT")) {
      action = AUDIT;
    } else if (a.equals("CUSTOM")) {
      throw new ConfigException(spec.path() + ".action: CUSTOM is not supported by this filter");
    } else {
      throw new ConfigException(
          spec.path() + ".action: expected ALLOW, DENY or AUDIT, got \"" + a + "\"");
    }
    if (spec.has("provider")) {
      throw new ConfigException(spec.path() + ".provider: only valid with CUSTOM");
    }
    List<Rule> rules = new ArrayList<>();
    JsonArray r = spec.array("rules");
    if (r != null) {
      for (JsonValue v : r.items()) {
        rules.add(Rule.parse(v.asObject()));
      }
    }
    return new Policy(namespace == null ? name : namespace + "." + name, action, rules);
  }

  /** A policy without rules matches nothing (an ALLOW without rules therefore denies all). */
  boolean matches(RequestAttributes r) {
    for (Rule rule : rules) {
      if (rule.matches(r)) {
        return true;
      }
    }
    return false;
  }
}
