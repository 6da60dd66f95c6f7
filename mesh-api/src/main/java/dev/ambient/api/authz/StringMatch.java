package dev.ambient.api.authz;

import java.util.Objects;

/**
 * A string condition in a policy. Matching is on exact characters: no regular expressions, no case
 * folding, no normalisation, so an identity can never match by accident (see CVE-2026-39350).
 */
public sealed interface StringMatch {

  boolean matches(String value);

  /** Istio's spelling: {@code "*"} is presence, {@code "x*"} prefix, {@code "*x"} suffix. */
  static StringMatch parseIstio(String pattern) {
    Objects.requireNonNull(pattern, "pattern");
    if (pattern.equals("*")) {
      return new Presence();
    }
    if (pattern.length() > 1 && pattern.endsWith("*")) {
      return new Prefix(pattern.substring(0, pattern.length() - 1));
    }
    if (pattern.length() > 1 && pattern.startsWith("*")) {
      return new Suffix(pattern.substring(1));
    }
    return new Exact(pattern);
  }

  record Exact(String value) implements StringMatch {
    @Override
    public boolean matches(String candidate) {
      return candidate != null && candidate.equals(value);
    }
  }

  record Prefix(String prefix) implements StringMatch {
    @Override
    public boolean matches(String candidate) {
      return candidate != null && candidate.startsWith(prefix);
    }
  }

  record Suffix(String suffix) implements StringMatch {
    @Override
    public boolean matches(String candidate) {
      return candidate != null && candidate.endsWith(suffix);
    }
  }

  /** Matches any non-empty value. */
  record Presence() implements StringMatch {
    @Override
    public boolean matches(String candidate) {
      return candidate != null && !candidate.isEmpty();
    }
  }
}
