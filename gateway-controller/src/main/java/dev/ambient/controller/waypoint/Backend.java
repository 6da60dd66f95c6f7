package dev.ambient.controller.waypoint;

import java.util.List;
import java.util.Objects;

/** A backend service port and its endpoints (empty when nothing serves it: requests get 503). */
public record Backend(BackendRef ref, List<Endpoint> endpoints) {
  public Backend {
    Objects.requireNonNull(ref, "ref");
    endpoints = List.copyOf(endpoints);
  }
}
