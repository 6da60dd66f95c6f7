package dev.ambient.controller.waypoint.authz;

import java.util.List;
import java.util.Objects;

/**
 * An AuthorizationPolicy as a waypoint enforces it: it matches a request when any rule does; with
 * no rules it matches nothing (an ALLOW policy without rules admits nothing).
 *
 * @param name {@code <namespace>/<name>} of the Kubernetes object (plus a note for synthesized
 *     fail-closed forms)
 */
public record L7Policy(String name, L7Action action, List<L7Rule> rules) {
  public L7Policy {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(action, "action");
    rules = List.copyOf(rules);
  }

  /**
   * The fail-closed stand-in for a policy that cannot be enforced as written (CUSTOM, or an invalid
   * DENY/CUSTOM): denies every request of its target.
   */
  public static L7Policy denyAll(String name) {
    return new L7Policy(name, L7Action.DENY, List.of(L7Rule.any()));
  }

  /**
   * The fail-closed stand-in for an invalid ALLOW policy: an ALLOW that admits nothing, so the
   * target stays in "must match an ALLOW policy" mode and the broken policy admits no one.
   */
  public static L7Policy allowNothing(String name) {
    return new L7Policy(name, L7Action.ALLOW, List.of());
  }
}
