package dev.ambient.api.wds;

import dev.ambient.api.model.InvalidMeshConfigException;
import java.util.ArrayList;
import java.util.List;

/**
 * Collects what is wrong with received resources, each entry naming the resource and the field, so
 * that one rejection reports every problem at once instead of the first only.
 */
final class Problems {
  private final List<String> problems = new ArrayList<>();

  void add(String resource, String field, String message) {
    problems.add(resource + ": field " + field + ": " + message);
  }

  boolean isEmpty() {
    return problems.isEmpty();
  }

  int size() {
    return problems.size();
  }

  void throwIfAny() throws InvalidMeshConfigException {
    if (!problems.isEmpty()) {
      throw new InvalidMeshConfigException(problems);
    }
  }

  /**
   * Renders untrusted text for an error message: bounded length, control and non-ASCII characters
   * escaped, so a hostile value can neither flood nor forge log lines.
   */
  static String printable(String value) {
    StringBuilder out = new StringBuilder("\"");
    int limit = Math.min(value.length(), 100);
    for (int i = 0; i < limit; i++) {
      char c = value.charAt(i);
      if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
        out.append(c);
      } else {
        out.append(String.format("\\u%04x", (int) c));
      }
    }
    if (value.length() > limit) {
      out.append("...(").append(value.length()).append(" chars)");
    }
    return out.append('"').toString();
  }
}
