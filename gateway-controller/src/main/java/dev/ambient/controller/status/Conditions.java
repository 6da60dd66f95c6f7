package dev.ambient.controller.status;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ConditionBuilder;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;

/** Kubernetes status conditions as Gateway API resources carry them. */
public final class Conditions {
  private Conditions() {}

  /** A condition without its transition time (see {@link #keepTransitionTime}). */
  public static Condition of(
      String type, boolean ok, String reason, String message, Long observedGeneration) {
    return new ConditionBuilder()
        .withType(type)
        .withStatus(ok ? "True" : "False")
        .withReason(reason)
        .withMessage(message)
        .withObservedGeneration(observedGeneration)
        .build();
  }

  /**
   * Sets the condition's transition time: the previous one while the status stays the same, so an
   * unchanged status never causes a write; {@code now} (whole seconds, RFC 3339) otherwise.
   */
  public static Condition keepTransitionTime(Condition c, List<Condition> previous, Instant now) {
    String at = now.truncatedTo(ChronoUnit.SECONDS).toString();
    if (previous != null) {
      for (Condition old : previous) {
        if (c.getType().equals(old.getType())
            && c.getStatus().equals(old.getStatus())
            && old.getLastTransitionTime() != null) {
          at = old.getLastTransitionTime();
        }
      }
    }
    c.setLastTransitionTime(at);
    return c;
  }
}
