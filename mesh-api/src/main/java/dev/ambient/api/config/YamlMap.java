package dev.ambient.api.config;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A YAML mapping at a known place in the document. Every accessor checks the type and reports a
 * mismatch (naming the field) instead of throwing, so one pass collects all problems and no {@code
 * ClassCastException} can escape.
 */
final class YamlMap {
  private final Map<?, ?> map;
  private final String path;
  private final Reporter reporter;

  private YamlMap(Map<?, ?> map, String path, Reporter reporter) {
    this.map = map;
    this.path = path;
    this.reporter = reporter;
  }

  /** The value as a mapping, or {@code null} (reported) when it is something else. */
  static YamlMap of(Object value, String path, Reporter reporter) {
    if (value instanceof Map<?, ?> m) {
      return new YamlMap(m, path, reporter);
    }
    reporter.field(
        path.isEmpty() ? "(document)" : path, "expected a map, got " + Text.typeOf(value));
    return null;
  }

  Reporter reporter() {
    return reporter;
  }

  /** Where this mapping sits, e.g. {@code spec.rules[0]}; empty at an object's top. */
  String path() {
    return path.isEmpty() ? "(object)" : path;
  }

  String path(String key) {
    return path.isEmpty() ? key : path + "." + key;
  }

  /** Whether the key is present with a non-null value. */
  boolean has(String key) {
    return map.get(key) != null;
  }

  Object raw(String key) {
    return map.get(key);
  }

  /** Reports every key not in {@code known} (typos must not be silently ignored). */
  void rejectUnknown(Set<String> known) {
    for (Object key : map.keySet()) {
      if (!(key instanceof String k)) {
        reporter.field(
            path.isEmpty() ? "(document)" : path, "key " + Text.quote(key) + " is not a string");
      } else if (!known.contains(k)) {
        reporter.field(path(k), "unknown field");
      }
    }
  }

  String string(String key) {
    Object v = map.get(key);
    if (v == null) {
      return null;
    }
    if (v instanceof String s) {
      return s;
    }
    reporter.field(path(key), "expected a string, got " + Text.typeOf(v));
    return null;
  }

  String requiredString(String key) {
    if (!has(key)) {
      reporter.field(path(key), "is required");
      return null;
    }
    return string(key);
  }

  /** An integer, or {@code null} when absent or wrong (reported). */
  Integer integer(String key) {
    Object v = map.get(key);
    if (v == null) {
      return null;
    }
    if (v instanceof Integer i) {
      return i;
    }
    if (v instanceof Number) {
      reporter.field(path(key), Text.quote(v) + " is not an integer in range");
      return null;
    }
    reporter.field(path(key), "expected a number, got " + Text.typeOf(v));
    return null;
  }

  /** A port number 1..65535, or {@code null} when absent or wrong (reported). */
  Integer port(String key) {
    Integer p = integer(key);
    if (p != null && (p < 1 || p > 65535)) {
      reporter.field(path(key), p + " is not a port number (1-65535)");
      return null;
    }
    return p;
  }

  /** Whether the key holds a non-empty list; reports nothing (for checks that only look). */
  boolean hasNonEmptyList(String key) {
    return map.get(key) instanceof List<?> l && !l.isEmpty();
  }

  /** The list under the key, or an empty list when absent or wrong (reported). */
  List<?> list(String key) {
    Object v = map.get(key);
    if (v == null) {
      return List.of();
    }
    if (v instanceof List<?> l) {
      return l;
    }
    reporter.field(path(key), "expected a list, got " + Text.typeOf(v));
    return List.of();
  }

  /** A list of strings; wrong elements are reported and left out. */
  List<String> stringList(String key) {
    List<String> out = new ArrayList<>();
    List<?> l = list(key);
    for (int i = 0; i < l.size(); i++) {
      Object e = l.get(i);
      if (e instanceof String s) {
        out.add(s);
      } else {
        reporter.field(path(key) + "[" + i + "]", "expected a string, got " + Text.typeOf(e));
      }
    }
    return out;
  }

  /** The nested mapping, or {@code null} when absent or wrong (reported). */
  YamlMap map(String key) {
    Object v = map.get(key);
    if (v == null) {
      return null;
    }
    return of(v, path(key), reporter);
  }

  /** A string-to-string mapping such as labels; wrong entries are reported and left out. */
  Map<String, String> stringMap(String key) {
    Map<String, String> out = new LinkedHashMap<>();
    YamlMap m = map(key);
    if (m == null) {
      return out;
    }
    for (Map.Entry<?, ?> e : m.map.entrySet()) {
      if (!(e.getKey() instanceof String k)) {
        reporter.field(path(key), "key " + Text.quote(e.getKey()) + " is not a string");
        continue;
      }
      String problem = Names.token(k);
      if (problem != null) {
        reporter.field(path(key), "key " + problem);
        continue;
      }
      if (e.getValue() instanceof String v) {
        out.put(k, v);
      } else {
        reporter.field(
            path(key) + "." + k,
            "expected a string, got " + Text.typeOf(e.getValue()) + " (quote it)");
      }
    }
    return out;
  }
}
