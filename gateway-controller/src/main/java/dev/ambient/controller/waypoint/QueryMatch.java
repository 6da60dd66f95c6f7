package dev.ambient.controller.waypoint;

import java.util.Objects;

/**
 * A query parameter that must equal {@code value} (or match it as an RE2 regex). Names compare
 * exactly, case included, as Gateway API asks.
 */
public record QueryMatch(String name, String value, boolean regex) {
  public QueryMatch {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(value, "value");
    if (name.isEmpty()) {
      throw new IllegalArgumentException("query parameter match: empty name");
    }
  }

  public static QueryMatch exact(String name, String value) {
    return new QueryMatch(name, value, false);
  }
}
