package dev.ambient.api.authz;

import java.util.List;

/**
 * One condition of a rule (a {@code from}, {@code to} or {@code when} entry; Istio's {@code Rules},
 * ztunnel's {@code Clause}): it matches when <em>any</em> of its matches does. An empty clause
 * matches nothing.
 */
public record Clause(List<Match> matches) {
  public Clause {
    matches = List.copyOf(matches);
  }
}
