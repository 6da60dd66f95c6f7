package dev.ambient.ztunnel.metrics;

/** Writing helpers for the Prometheus text format 0.0.4. */
final class Exposition {
  private Exposition() {}

  static void header(StringBuilder out, String name, String help, String type) {
    out.append("# HELP ").append(name).append(' ');
    for (int i = 0; i < help.length(); i++) {
      char c = help.charAt(i);
      switch (c) {
        case '\\' -> out.append("\\\\");
        case '\n' -> out.append("\\n");
        default -> out.append(c);
      }
    }
    out.append('\n').append("# TYPE ").append(name).append(' ').append(type).append('\n');
  }

  /** {@code name{a="x",b="y"} value}; label values escaped as the format requires. */
  static void sample(
      StringBuilder out, String name, String[] labelNames, String[] values, String value) {
    out.append(name);
    if (labelNames.length > 0) {
      out.append('{');
      for (int i = 0; i < labelNames.length; i++) {
        if (i > 0) {
          out.append(',');
        }
        out.append(labelNames[i]).append("=\"");
        escapeLabelValue(out, values[i]);
        out.append('"');
      }
      out.append('}');
    }
    out.append(' ').append(value).append('\n');
  }

  static void escapeLabelValue(StringBuilder out, String v) {
    for (int i = 0; i < v.length(); i++) {
      char c = v.charAt(i);
      switch (c) {
        case '\\' -> out.append("\\\\");
        case '"' -> out.append("\\\"");
        case '\n' -> out.append("\\n");
        default -> out.append(c);
      }
    }
  }

  static boolean validName(String name) {
    if (name.isEmpty()) {
      return false;
    }
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      boolean ok =
          (c >= 'a' && c <= 'z')
              || (c >= 'A' && c <= 'Z')
              || c == '_'
              || c == ':'
              || (i > 0 && c >= '0' && c <= '9');
      if (!ok) {
        return false;
      }
    }
    return true;
  }
}
