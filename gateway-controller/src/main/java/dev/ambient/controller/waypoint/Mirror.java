package dev.ambient.controller.waypoint;

import java.util.Objects;

/**
 * Gateway API {@code RequestMirror}: a copy of {@code numerator/denominator} of the requests goes
 * to {@code ref} too; its answers are dropped.
 */
public record Mirror(BackendRef ref, int numerator, int denominator) {
  public Mirror {
    Objects.requireNonNull(ref, "ref");
    if (denominator < 1 || numerator < 0 || numerator > denominator) {
      throw new IllegalArgumentException(
          "mirror to "
              + ref.service()
              + ": fraction "
              + numerator
              + "/"
              + denominator
              + " is not between 0 and 1");
    }
  }

  public static Mirror all(BackendRef ref) {
    return new Mirror(ref, 100, 100);
  }
}
