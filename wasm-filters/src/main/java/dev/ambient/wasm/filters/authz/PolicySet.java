package dev.ambient.wasm.filters.authz;

import dev.ambient.wasm.sdk.ConfigException;
import dev.ambient.wasm.sdk.JsonArray;
import dev.ambient.wasm.sdk.JsonObject;
import dev.ambient.wasm.sdk.JsonValue;
import java.util.ArrayList;
import java.util.List;

/**
 * The policies of one workload, evaluated as Istio does: any matching DENY denies; then, if there
 * are ALLOW policies, the request must match one; with none it is allowed. AUDIT policies only mark
 * the request for audit logging and never change the decision.
 */
final class PolicySet {
  private final List<Policy> policies;
  private final boolean hasAllow;

  private PolicySet(List<Policy> policies) {
    this.policies = policies;
    boolean allow = false;
    for (Policy p : policies) {
      allow |= p.action == Policy.ALLOW;
    }
    this.hasAllow = allow;
  }

  /** The plugin configuration: {@code {"policies": [...]}}. */
  static PolicySet parse(JsonObject config) throws ConfigException {
    config.requireOnly("policies");
    JsonArray array = config.array("policies");
    if (array == null) {
      throw new ConfigException("policies: required (an empty list allows everything)");
    }
    List<Policy> policies = new ArrayList<>();
    for (JsonValue v : array.items()) {
      policies.add(Policy.parse(v.asObject()));
    }
    return new PolicySet(policies);
  }

  int size() {
    return policies.size();
  }

  Decision decide(RequestAttributes r) {
    List<String> audited = new ArrayList<>();
    String denyingPolicy = null;
    String allowingPolicy = null;
    for (Policy p : policies) {
      if (p.action == Policy.AUDIT) {
        if (p.matches(r)) {
          audited.add(p.name);
        }
      } else if (p.action == Policy.DENY) {
        if (denyingPolicy == null && p.matches(r)) {
          denyingPolicy = p.name;
        }
      } else if (allowingPolicy == null && p.matches(r)) {
        allowingPolicy = p.name;
      }
    }
    if (denyingPolicy != null) {
      return new Decision(false, denyingPolicy, audited);
    }
    if (hasAllow && allowingPolicy == null) {
      return new Decision(false, null, audited);
    }
    return new Decision(true, allowingPolicy, audited);
  }

  /** The outcome for one request. */
  static final class Decision {
    final boolean allowed;

    /** The DENY policy that matched, or the ALLOW policy that matched; null otherwise. */
    final String policy;

    final List<String> audited;

    Decision(boolean allowed, String policy, List<String> audited) {
      this.allowed = allowed;
      this.policy = policy;
      this.audited = audited;
    }
  }
}
