package dev.ambient.api.authz;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * An L4 authorization policy as ztunnel enforces it: the shape of Istio's {@code
 * istio.security.Authorization}.
 *
 * <p>Semantics: a policy matches a connection when any of its {@link #rules} matches; a policy with
 * no rules matches nothing (so an ALLOW policy with no rules denies everything it selects).
 *
 * @param selector labels a workload must carry, for {@link Scope#WORKLOAD_SELECTOR}
 */
public record AuthorizationPolicy(
    String name,
    String namespace,
    Scope scope,
    Action action,
    Map<String, String> selector,
    List<Rule> rules,
    boolean dryRun) {

  public enum Scope {
    /** Applies to every workload in the mesh (a policy in the root namespace without selector). */
    GLOBAL,
    /** Applies to every workload in {@link #namespace}. */
    NAMESPACE,
    /** Applies to workloads in {@link #namespace} whose labels include {@link #selector}. */
    WORKLOAD_SELECTOR
  }

  public enum Action {
    ALLOW,
    DENY
  }

  public AuthorizationPolicy {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(namespace, "namespace");
    Objects.requireNonNull(scope, "scope");
    Objects.requireNonNull(action, "action");
    selector = selector == null ? Map.of() : Map.copyOf(selector);
    rules = List.copyOf(rules);
  }

  /** Istio's resource name for a policy: {@code <namespace>/<name>}. */
  public String resourceName() {
    return namespace + "/" + name;
  }
}
