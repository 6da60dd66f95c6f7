package dev.ambient.controller.waypoint;

import java.util.Objects;

/** Gateway API path match: {@code Exact}, {@code PathPrefix} or {@code RegularExpression} (RE2). */
public record PathMatch(Kind kind, String value) {
  public enum Kind {
    EXACT,
    PREFIX,
    REGEX
  }

  public PathMatch {
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(value, "value");
    if (kind != Kind.REGEX && !value.startsWith("/")) {
      throw new IllegalArgumentException("path match " + kind + ": must start with /: " + value);
    }
  }

  /** Everything: the Gateway API default match. */
  public static PathMatch any() {
    return new PathMatch(Kind.PREFIX, "/");
  }

  public static PathMatch exact(String path) {
    return new PathMatch(Kind.EXACT, path);
  }

  public static PathMatch prefix(String path) {
    return new PathMatch(Kind.PREFIX, path);
  }

  public static PathMatch regex(String regex) {
    return new PathMatch(Kind.REGEX, regex);
  }
}
