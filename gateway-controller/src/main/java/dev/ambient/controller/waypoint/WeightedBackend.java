package dev.ambient.controller.waypoint;

import java.util.Objects;

/** A backendRef with its Gateway API weight (0 = receives nothing). */
public record WeightedBackend(BackendRef ref, int weight) {
  public WeightedBackend {
    Objects.requireNonNull(ref, "ref");
    if (weight < 0) {
      throw new IllegalArgumentException(
          "backend " + ref.service() + ": negative weight " + weight);
    }
  }
}
