package dev.ambient.controller.demo;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.ambient.ztunnel.metrics.Logfmt;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
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
          c.phase(),
          c.from(),
          c.fromIdentity(),
          c.to(),
          (c.result().ok() ? "ok: " : "FAILED: ") + c.result().detail());
    }
  }

  /**
   * What node-b's ztunnel recorded per connection: the identities it verified and its decisions.
   * Returns the inbound access-log entries.
   */
  List<Map<String, String>> accessLog(Path nodeLog) throws IOException {
    header("What node-b's ztunnel saw (its access log, one line per connection)");
    List<Map<String, String>> inbound = new ArrayList<>();
    if (!Files.exists(nodeLog)) {
      out.println("  (no log at " + nodeLog + ")");
      return inbound;
    }
    out.printf(
        "  %-48s %-10s %-22s %-8s %s%n",
        "peer identity (verified mTLS)", "to", "destination", "flags", "reason");
    int shown = 0;
    for (String line : Files.readAllLines(nodeLog)) {
      Map<String, String> kv = accessFields(line);
      if (!kv.containsKey("src.identity") || !"inbound".equals(kv.get("direction"))) {
        continue;
      }
      shown++;
      inbound.add(kv);
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
    return inbound;
  }

  /**
   * Compares what happened with what the mesh promises: every call before the policy succeeds; with
   * it, sleep still gets through, intruder is refused, and node-b names the policy.
   */
  boolean checks(List<DemoCommand.Call> calls, List<Map<String, String>> inbound) {
    header("Checks");
    boolean ok = true;
    ok &=
        check(
            "every call without a policy succeeded",
            calls.stream()
                .filter(c -> c.phase().equals("no policy"))
                .allMatch(c -> c.result().ok()));
    ok &=
        check(
            "with the DENY policy, sleep (namespace default) still gets through",
            calls.stream()
                .filter(c -> c.phase().equals("DENY policy") && c.from().equals("sleep"))
                .allMatch(c -> c.result().ok()));
    ok &=
        check(
            "with the DENY policy, intruder (namespace other) is refused",
            calls.stream()
                .filter(c -> c.phase().equals("DENY policy") && c.from().equals("intruder"))
                .noneMatch(c -> c.result().ok()));
    ok &=
        check(
            "node-b verified each caller's SPIFFE identity over mTLS",
            inbound.stream().anyMatch(kv -> kv.get("src.identity").endsWith("/ns/default/sa/sleep"))
                && inbound.stream()
                    .anyMatch(kv -> kv.get("src.identity").endsWith("/ns/other/sa/intruder")));
    ok &=
        check(
            "node-b logged the denials with the policy's name",
            inbound.stream()
                .anyMatch(
                    kv ->
                        "DENY".equals(kv.get("flags"))
                            && kv.getOrDefault("error", "")
                                .contains("default/deny-other-namespace")));
    List<DemoCommand.Call> afterRestart =
        calls.stream().filter(c -> c.phase().equals("after restart")).toList();
    if (!afterRestart.isEmpty()) {
      ok &=
          check(
              "after node-b's ztunnel was killed (SIGKILL) and restarted, traffic resumed",
              afterRestart.stream().allMatch(c -> c.result().ok()));
    }
    return ok;
  }

  private boolean check(String what, boolean passed) {
    out.println("  " + (passed ? "PASS  " : "FAIL  ") + what);
    return passed;
  }

  void certificates(String configDump, String node) {
    header(
        "Certificates held by " + node + " (from its /config_dump; keys never leave the process)");
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

  /** The logfmt part of an access-log line ("... access src.addr=..."), or empty. */
  static Map<String, String> accessFields(String line) {
    int at = line.indexOf("src.addr=");
    if (at < 0) {
      return Map.of();
    }
    try {
      return Logfmt.parse(line.substring(at));
    } catch (IllegalArgumentException notAccessLog) {
      return Map.of();
    }
  }
}
