package dev.ambient.api.config;

import java.util.List;
import java.util.Map;

/** Renders untrusted YAML values for error messages. */
final class Text {
  private static final int MAX = 120;

  private Text() {}

  /** A quoted, printable, bounded rendering: control characters become {@code \\uXXXX}. */
  static String quote(Object value) {
    String s = String.valueOf(value);
    StringBuilder out = new StringBuilder(Math.min(s.length(), MAX) + 2).append('"');
    for (int i = 0; i < s.length() && i < MAX; i++) {
      char c = s.charAt(i);
      if (c < 0x20 || c == 0x7f || c == '"' || c == '\\') {
        out.append(c == '"' || c == '\\' ? "\\" + c : String.format("\\u%04x", (int) c));
      } else {
        out.append(c);
      }
    }
    if (s.length() > MAX) {
      out.append("...");
    }
    return out.append('"').toString();
  }

  /** "a string", "a number", ... for "expected X, got Y" messages. */
  static String typeOf(Object value) {
    if (value == null) {
      return "null";
    }
    if (value instanceof String) {
      return "a string";
    }
    if (value instanceof Boolean) {
      return "a boolean";
    }
    if (value instanceof Number) {
      return "a number";
    }
    if (value instanceof List) {
      return "a list";
    }
    if (value instanceof Map) {
      return "a map";
    }
    return "a " + value.getClass().getSimpleName();
  }
}
