package dev.ambient.controller.waypoint.authz;

import java.util.List;

/**
 * One rule of a policy: it matches when any source matches (or {@code from} is empty), any
 * operation matches (or {@code to} is empty) and every condition holds.
 */
public record L7Rule(List<L7Source> from, List<L7Operation> to, List<L7Condition> when) {
  public L7Rule {
    from = List.copyOf(from);
    to = List.copyOf(to);
    when = List.copyOf(when);
  }

  /** A rule that matches every request. */
  public static L7Rule any() {
    return new L7Rule(List.of(), List.of(), List.of());
  }

  /** Whether any part needs HTTP (or JWT) attributes. */
  public boolean hasL7Fields() {
    return from.stream().anyMatch(L7Source::hasL7Fields)
        || to.stream().anyMatch(L7Operation::hasL7Fields)
        || when.stream().anyMatch(L7Condition::isL7);
  }
}
