package dev.ambient.ztunnel.authz;

import dev.ambient.api.authz.AuthorizationPolicy;
import dev.ambient.api.authz.Clause;
import dev.ambient.api.authz.Rule;

/**
 * A policy in array form with its decision pre-built. The policy matches when any rule does; a rule
 * when every clause does (no clauses: always); a clause when any match does (none: never).
 */
final class CompiledPolicy {
  final AuthorizationPolicy policy;
  final Decision decision;
  private final CompiledMatch[][][] rules;

  CompiledPolicy(AuthorizationPolicy policy) {
    this.policy = policy;
    String name = policy.resourceName();
    this.decision =
        policy.action() == AuthorizationPolicy.Action.DENY
            ? Decision.deny("denied by policy " + name)
            : Decision.allow("allowed by policy " + name);
    rules = new CompiledMatch[policy.rules().size()][][];
    for (int r = 0; r < rules.length; r++) {
      Rule rule = policy.rules().get(r);
      rules[r] = new CompiledMatch[rule.clauses().size()][];
      for (int c = 0; c < rules[r].length; c++) {
        Clause clause = rule.clauses().get(c);
        rules[r][c] =
            clause.matches().stream().map(CompiledMatch::new).toArray(CompiledMatch[]::new);
      }
    }
  }

  boolean matches(Peer peer) {
    for (CompiledMatch[][] rule : rules) {
      if (ruleMatches(rule, peer)) {
        return true;
      }
    }
    return false;
  }

  private static boolean ruleMatches(CompiledMatch[][] clauses, Peer peer) {
    for (CompiledMatch[] clause : clauses) {
      boolean any = false;
      for (CompiledMatch m : clause) {
        if (m.matches(peer)) {
          any = true;
          break;
        }
      }
      if (!any) {
        return false;
      }
    }
    return true;
  }
}
