package dev.ambient.controller.demo;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** Renders what the demo observed, for a person to read. */
final class DemoSummary {
  private final PrintStream out;

  DemoSummary(PrintStream out) {
    this.out = out;
  }

  void calls(List<DemoCommand.Call> calls) {
    header("Calls (client side)");
    out.printf("  %-12s %-9s %-48s %-36s %s%n", "phase", "from", "client identity", "to", "result");
    for (DemoCommand.Call c : calls) {
      out.printf(
          "  %-12s %-9s %-48s %-36s %s%n",
          c.phase(), c.from(), c.fromIdentity(), c.to(), (c.result().ok() ? "ok: " : "FAILED: ") + c.result().detail());
    }
  }

  /** What node-b's ztunnel recorded per connection: the identities it verified and its decisions. */
  void accessLog(Path nodeLog) throws IOException {
    header("What node-b's ztunnel saw (its access log, one line per connection)");
    if (!Files.exists(nodeLog)) {
      out.println("  (no log at " + nodeLog + ")");
      return;
    }
    out.printf("  %-48s %-10s %-22s %-8s %s%n", "peer identity (verified mTLS)", "to", "destination", "flags", "reason");
    int shown = 0;
    for (String line : Files.readAllLines(nodeLog)) {
      Map<String, String> kv = logfmt(line);
      if (!kv.containsKey("src.identity") || !"inbound".equals(kv.get("direction"))) {
        continue;
      }
      shown++;
      out.printf(
          "  %-48s %-10s %-22s %-8s %s%n",
          kv.get("src.identity"),
          kv.getOrDefault("dst.workload", "?"),
          kv.getOrDefault("dst.addr", "?"),
          kv.getOrDefault("flags", "-"),
          kv.getOrDefault("error", ""));
    }
    if (shown == 0) {
      out.println("  (no inbound access-log lines found in " + nodeLog + ")");
    }
  }

  void certificates(String configDump, String node) {
    header("Certificates held by " + node + " (from its /config_dump; keys never leave the process)");
    try {
      JsonElement root = JsonParser.parseString(configDump);
      JsonArray certs = root.getAsJsonObject().getAsJsonArray("certificates");
      if (certs == null || certs.isEmpty()) {
        out.println("  (none)");
        return;
      }
      for (JsonElement e : certs) {
        JsonObject c = e.getAsJsonObject();
        out.printf(
            "  %-48s serial %s, valid until %s (%s)%n",
            str(c, "identity"), str(c, "serial"), str(c, "notAfter"), str(c, "state"));
      }
    } catch (RuntimeException e) {
      out.println("  (could not read the config dump: " + e.getMessage() + ")");
    }
  }

  /** Istio TCP metrics series whose value changed during the demo. */
  void metrics(String title, Map<String, Double> before, Map<String, Double> after) {
    header("Metrics that moved on " + title);
    Map<String, Double> moved = new TreeMap<>();
    for (Map.Entry<String, Double> e : after.entrySet()) {
      if (!e.getKey().startsWith("istio_tcp_")) {
        continue;
      }
      double delta = e.getValue() - before.getOrDefault(e.getKey(), 0.0);
      if (delta != 0) {
        moved.put(e.getKey(), delta);
      }
    }
    if (moved.isEmpty()) {
      out.println("  (no istio_tcp_* series moved)");
      return;
    }
    for (Map.Entry<String, Double> e : moved.entrySet()) {
      String s = e.getKey();
      String name = s.contains("{") ? s.substring(0, s.indexOf('{')) : s;
      out.printf(
          "  %-40s +%-8.0f %s -> %s  policy=%s flags=%s%n",
          name,
          e.getValue(),
          orUnknown(PrometheusText.label(s, "source_principal")),
          orUnknown(PrometheusText.label(s, "destination_workload")),
          PrometheusText.label(s, "connection_security_policy"),
          PrometheusText.label(s, "response_flags"));
    }
  }

  void footer(Path workDir) {
    header("Logs and config");
    out.println("  " + workDir.resolve("mesh.yaml") + "  the mesh as the CA and ztunnels read it");
    out.println("  " + workDir.resolve("node-a.log") + ", node-b.log, ca.log");
  }

  private void header(String text) {
    out.println();
    out.println("--- " + text + " ---");
  }

  private static String orUnknown(String s) {
    return s.isEmpty() ? "unknown" : s;
  }

  private static String str(JsonObject o, String key) {
    JsonElement e = o.get(key);
    return e == null || e.isJsonNull() ? "?" : e.getAsString();
  }

  /** Parses {@code key=value} and {@code key="quoted value"} pairs out of a log line. */
  static Map<String, String> logfmt(String line) {
    Map<String, String> out = new LinkedHashMap<>();
    int i = 0;
    int n = line.length();
    while (i < n) {
      int eq = line.indexOf('=', i);
      if (eq < 0) {
        break;
      }
      int keyStart = line.lastIndexOf(' ', eq) + 1;
      String key = line.substring(Math.max(keyStart, i), eq);
      int v = eq + 1;
      String value;
      if (v < n && line.charAt(v) == '"') {
        StringBuilder b = new StringBuilder();
        int j = v + 1;
        while (j < n && line.charAt(j) != '"') {
          if (line.charAt(j) == '\\' && j + 1 < n) {
            j++;
          }
          b.append(line.charAt(j));
          j++;
        }
        value = b.toString();
        i = j + 1;
      } else {
        int end = line.indexOf(' ', v);
        end = end < 0 ? n : end;
        value = line.substring(v, end);
        i = end;
      }
      if (!key.isEmpty()) {
        out.put(key, value);
      }
    }
    return out;
  }

  static List<String> keys(Map<String, String> m) {
    return new ArrayList<>(m.keySet());
  }
}
