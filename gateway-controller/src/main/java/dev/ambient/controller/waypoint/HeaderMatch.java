package dev.ambient.controller.waypoint;

import java.util.Locale;
import java.util.Objects;

/** A request header that must equal {@code value} (or match it as an RE2 regex). */
public record HeaderMatch(String name, String value, boolean regex) {
  public HeaderMatch {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(value, "value");
    // HTTP/2 and Envoy see header names in lower case.
    name = name.toLowerCase(Locale.ROOT);
  }

  public static HeaderMatch exact(String name, String value) {
    return new HeaderMatch(name, value, false);
  }
}
