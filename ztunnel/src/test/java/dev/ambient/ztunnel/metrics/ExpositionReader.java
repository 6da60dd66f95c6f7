package dev.ambient.ztunnel.metrics;

import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * A strict reader of the Prometheus text format 0.0.4 for tests: every sample line must belong to a
 * family declared by a preceding {@code # HELP} and {@code # TYPE}, label values must be properly
 * escaped, values must be numbers.
 */
public final class ExpositionReader {
  /** One sample: metric name plus its labels. */
  public record Series(String name, Map<String, String> labels) {}

  public static Map<Series, Double> read(String text) {
    Map<Series, Double> out = new LinkedHashMap<>();
    Set<String> helped = new HashSet<>();
    Map<String, String> types = new HashMap<>();
    for (String line : text.split("\n", -1)) {
      if (line.isEmpty()) {
        continue;
      }
      if (line.startsWith("# HELP ")) {
        helped.add(line.substring(7).split(" ", 2)[0]);
        continue;
      }
      if (line.startsWith("# TYPE ")) {
        String[] p = line.substring(7).split(" ");
        if (p.length != 2
            || !Set.of("counter", "gauge", "histogram", "summary", "untyped").contains(p[1])) {
          throw new IllegalArgumentException("bad TYPE line: " + line);
        }
        types.put(p[0], p[1]);
        continue;
      }
      if (line.startsWith("#")) {
        continue;
      }
      int i = 0;
      while (i < line.length() && line.charAt(i) != '{' && line.charAt(i) != ' ') {
        i++;
      }
      String name = line.substring(0, i);
      if (!helped.contains(name) || !types.containsKey(name)) {
        throw new IllegalArgumentException("sample without HELP/TYPE: " + line);
      }
      Map<String, String> labels = new LinkedHashMap<>();
      if (i < line.length() && line.charAt(i) == '{') {
        i++;
        while (line.charAt(i) != '}') {
          int eq = line.indexOf('=', i);
          String key = line.substring(i, eq);
          if (line.charAt(eq + 1) != '"') {
            throw new IllegalArgumentException("unquoted label value: " + line);
          }
          StringBuilder v = new StringBuilder();
          i = eq + 2;
          while (line.charAt(i) != '"') {
            char c = line.charAt(i++);
            if (c == '\\') {
              char e = line.charAt(i++);
              switch (e) {
                case '\\' -> v.append('\\');
                case '"' -> v.append('"');
                case 'n' -> v.append('\n');
                default -> throw new IllegalArgumentException("bad escape \\" + e + " in " + line);
              }
            } else {
              v.append(c);
            }
          }
          i++;
          labels.put(key, v.toString());
          if (line.charAt(i) == ',') {
            i++;
          }
        }
        i++;
      }
      if (line.charAt(i) != ' ') {
        throw new IllegalArgumentException("expected a space before the value: " + line);
      }
      double value = Double.parseDouble(line.substring(i + 1));
      if (out.put(new Series(name, labels), value) != null) {
        throw new IllegalArgumentException("duplicate series: " + line);
      }
    }
    return out;
  }

  private ExpositionReader() {}
}
