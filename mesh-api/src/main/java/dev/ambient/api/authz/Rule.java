package dev.ambient.api.authz;

import java.util.List;

/**
 * One rule of a policy (Istio's {@code Group}, or {@code Rule} in ztunnel's copy of the proto): it
 * matches when <em>every</em> clause matches. A rule with no clauses matches everything.
 */
public record Rule(List<Clause> clauses) {
  public Rule {
    clauses = List.copyOf(clauses);
  }

  /** A rule that can never match: what an ALLOW rule with L7 fields becomes at L4. */
  public static Rule never() {
    return new Rule(List.of(new Clause(List.of())));
  }
}
