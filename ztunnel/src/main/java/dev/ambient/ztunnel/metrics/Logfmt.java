package dev.ambient.ztunnel.metrics;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The access-log line format: {@code key=value} pairs separated by single spaces. A value is bare
 * when it is non-empty printable ASCII without space, {@code "}, {@code =} or {@code \}; otherwise
 * it is double-quoted with {@code \\ \" \n \r \t} and {@code \}{@code uXXXX} escapes. {@link
 * #parse} reads exactly what {@link #format} writes.
 */
public final class Logfmt {
  private Logfmt() {}

  public static String format(Map<String, String> fields) {
    StringBuilder out = new StringBuilder(256);
    for (Map.Entry<String, String> e : fields.entrySet()) {
      if (out.length() > 0) {
        out.append(' ');
      }
      out.append(e.getKey()).append('=');
      appendValue(out, e.getValue() == null ? "" : e.getValue());
    }
    return out.toString();
  }

  static void appendValue(StringBuilder out, String v) {
    boolean bare = !v.isEmpty();
    for (int i = 0; i < v.length() && bare; i++) {
      char c = v.charAt(i);
      bare = c > 0x20 && c < 0x7f && c != '"' && c != '=' && c != '\\';
    }
    if (bare) {
      out.append(v);
      return;
    }
    out.append('"');
    for (int i = 0; i < v.length(); i++) {
      char c = v.charAt(i);
      switch (c) {
        case '"' -> out.append("\\\"");
        case '\\' -> out.append("\\\\");
        case '\n' -> out.append("\\n");
        case '\r' -> out.append("\\r");
        case '\t' -> out.append("\\t");
        default -> {
          if (c < 0x20 || c == 0x7f) {
            out.append(String.format("\\u%04x", (int) c));
          } else {
            out.append(c);
          }
        }
      }
    }
    out.append('"');
  }

  /**
   * Parses a line written by {@link #format}; throws {@link IllegalArgumentException} otherwise.
   */
  public static Map<String, String> parse(String line) {
    Map<String, String> out = new LinkedHashMap<>();
    int i = 0;
    int n = line.length();
    while (i < n) {
      int eq = line.indexOf('=', i);
      if (eq <= i) {
        throw new IllegalArgumentException("expected key= at " + i + " in: " + line);
      }
      String key = line.substring(i, eq);
      i = eq + 1;
      StringBuilder value = new StringBuilder();
      if (i < n && line.charAt(i) == '"') {
        i++;
        boolean done = false;
        while (i < n) {
          char c = line.charAt(i++);
          if (c == '"') {
            done = true;
            break;
          }
          if (c != '\\') {
            value.append(c);
            continue;
          }
          if (i >= n) {
            break;
          }
          char esc = line.charAt(i++);
          switch (esc) {
            case 'n' -> value.append('\n');
            case 'r' -> value.append('\r');
            case 't' -> value.append('\t');
            case 'u' -> {
              if (i + 4 > n) {
                throw new IllegalArgumentException("bad \\u escape in: " + line);
              }
              value.append((char) Integer.parseInt(line.substring(i, i + 4), 16));
              i += 4;
            }
            default -> value.append(esc);
          }
        }
        if (!done) {
          throw new IllegalArgumentException("unterminated quoted value for " + key);
        }
      } else {
        int sp = line.indexOf(' ', i);
        int end = sp < 0 ? n : sp;
        value.append(line, i, end);
        i = end;
      }
      out.put(key, value.toString());
      if (i < n) {
        if (line.charAt(i) != ' ') {
          throw new IllegalArgumentException("expected a space after " + key + " in: " + line);
        }
        i++;
      }
    }
    return out;
  }
}
