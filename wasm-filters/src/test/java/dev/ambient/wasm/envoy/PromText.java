package dev.ambient.wasm.envoy;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The samples of a Prometheus text exposition ({@code /stats/prometheus}). */
public final class PromText {
  /** One line: {@code name{k="v",...} value}. */
  public static final class Sample {
    public final String name;
    public final Map<String, String> labels;
    public final double value;

    Sample(String name, Map<String, String> labels, double value) {
      this.name = name;
      this.labels = labels;
      this.value = value;
    }

    boolean matches(String wanted, Map<String, String> subset) {
      if (!name.equals(wanted)) {
        return false;
      }
      for (Map.Entry<String, String> e : subset.entrySet()) {
        if (!e.getValue().equals(labels.get(e.getKey()))) {
          return false;
        }
      }
      return true;
    }

    @Override
    public String toString() {
      return name + labels + " " + value;
    }
  }

  private final List<Sample> samples = new ArrayList<>();

  public PromText(String text) {
    for (String line : text.split("\n")) {
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      int brace = line.indexOf('{');
      int space = line.lastIndexOf(' ');
      String name;
      Map<String, String> labels = new LinkedHashMap<>();
      if (brace >= 0 && brace < space) {
        name = line.substring(0, brace);
        parseLabels(line.substring(brace + 1, line.lastIndexOf('}')), labels);
      } else {
        name = line.substring(0, space);
      }
      samples.add(new Sample(name, labels, Double.parseDouble(line.substring(space + 1))));
    }
  }

  private static void parseLabels(String s, Map<String, String> out) {
    int i = 0;
    while (i < s.length()) {
      int eq = s.indexOf('=', i);
      String key = s.substring(i, eq);
      StringBuilder v = new StringBuilder();
      int j = eq + 2; // skip ="
      while (s.charAt(j) != '"') {
        if (s.charAt(j) == '\\') {
          j++;
        }
        v.append(s.charAt(j));
        j++;
      }
      out.put(key, v.toString());
      i = j + 1;
      if (i < s.length() && s.charAt(i) == ',') {
        i++;
      }
    }
  }

  /** Every sample named {@code name} whose labels include {@code subset}. */
  public List<Sample> find(String name, Map<String, String> subset) {
    List<Sample> r = new ArrayList<>();
    for (Sample s : samples) {
      if (s.matches(name, subset)) {
        r.add(s);
      }
    }
    return r;
  }

  /** The sum of the matching samples' values (0 when none match). */
  public double sum(String name, Map<String, String> subset) {
    double t = 0;
    for (Sample s : find(name, subset)) {
      t += s.value;
    }
    return t;
  }

  public List<Sample> all() {
    return samples;
  }
}
