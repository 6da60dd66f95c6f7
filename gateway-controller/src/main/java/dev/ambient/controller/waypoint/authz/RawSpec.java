package dev.ambient.controller.waypoint.authz;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Typed reads from the raw (JSON-shaped) spec of one policy, each problem recorded with the policy
 * and the field's path, so the caller decides once per policy how to fail closed.
 */
final class RawSpec {
  private final String policy;
  private final List<String> problems;

  RawSpec(String policy, List<String> problems) {
    this.policy = policy;
    this.problems = problems;
  }

  void problem(String path, String message) {
    problems.add("AuthorizationPolicy " + policy + ": " + path + ": " + message);
  }

  int problemCount() {
    return problems.size();
  }

  /** The map at {@code path}, or null (a problem when present but not a map). */
  @SuppressWarnings("unchecked")
  Map<String, Object> map(Object raw, String path) {
    if (raw == null) {
      return null;
    }
    if (!(raw instanceof Map)) {
      problem(path, "expected an object, got " + typeOf(raw));
      return null;
    }
    return (Map<String, Object>) raw;
  }

  /** The list at {@code path}; empty when absent (a problem when present but not a list). */
  List<?> list(Object raw, String path) {
    if (raw == null) {
      return List.of();
    }
    if (!(raw instanceof List<?> l)) {
      problem(path, "expected a list, got " + typeOf(raw));
      return List.of();
    }
    return l;
  }

  String string(Object raw, String path) {
    if (raw == null) {
      return null;
    }
    if (!(raw instanceof String s)) {
      problem(path, "expected a string, got " + typeOf(raw));
      return null;
    }
    return s;
  }

  /** Non-empty strings of a list; each bad entry is a problem. */
  List<String> strings(Map<String, Object> m, String key, String path) {
    List<String> out = new ArrayList<>();
    List<?> l = list(m.get(key), path + "." + key);
    for (int i = 0; i < l.size(); i++) {
      String at = path + "." + key + "[" + i + "]";
      String s = string(l.get(i), at);
      if (s == null) {
        if (l.get(i) == null) {
          problem(at, "must not be null");
        }
        continue;
      }
      if (s.isEmpty()) {
        problem(at, "must not be empty");
        continue;
      }
      if (s.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
        problem(at, "contains a control character");
        continue;
      }
      out.add(s);
    }
    return out;
  }

  void rejectUnknown(Map<String, Object> m, Set<String> known, String path) {
    for (String k : m.keySet()) {
      if (!known.contains(k)) {
        problem(path.isEmpty() ? k : path + "." + k, "unknown field");
      }
    }
  }

  static String typeOf(Object v) {
    if (v instanceof Map) {
      return "an object";
    }
    if (v instanceof List) {
      return "a list";
    }
    if (v instanceof Number) {
      return "a number";
    }
    if (v instanceof Boolean) {
      return "a boolean";
    }
    return v == null ? "null" : "a string";
  }
}
