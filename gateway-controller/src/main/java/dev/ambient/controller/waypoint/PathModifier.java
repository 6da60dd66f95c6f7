package dev.ambient.controller.waypoint;

import java.util.Objects;

/**
 * Gateway API {@code HTTPPathModifier}: replace the whole path, or only the part the rule's
 * PathPrefix match matched ({@code prefix} is that match, so the Envoy side needs no lookup).
 */
public record PathModifier(Kind kind, String value, String prefix) {
  public enum Kind {
    FULL,
    PREFIX
  }

  public PathModifier {
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(value, "value");
    if (!value.startsWith("/")) {
      throw new IllegalArgumentException("path modifier " + kind + ": must start with /: " + value);
    }
    if (kind == Kind.PREFIX && (prefix == null || !prefix.startsWith("/"))) {
      throw new IllegalArgumentException(
          "path modifier ReplacePrefixMatch: needs the PathPrefix it replaces, got " + prefix);
    }
    if (kind == Kind.FULL) {
      prefix = null;
    }
  }

  public static PathModifier full(String path) {
    return new PathModifier(Kind.FULL, path, null);
  }

  public static PathModifier prefix(String matched, String replacement) {
    return new PathModifier(Kind.PREFIX, replacement, matched);
  }
}
