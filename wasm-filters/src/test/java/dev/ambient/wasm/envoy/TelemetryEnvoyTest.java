package dev.ambient.wasm.envoy;

import static dev.ambient.wasm.envoy.EnvoyTests.send;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The telemetry module in a real Envoy: after known requests, {@code /stats/prometheus} shows the
 * Istio metrics with Istio's labels.
 *
 * <p>How they surface: the module defines {@code reporter=.=waypoint;.;...;.;istio_requests_total};
 * Envoy stores it as {@code wasmcustom.<that>}, the bootstrap's {@code stats_tags} rules (one per
 * label, regex {@code (<label>=\.=(.*?);\.;)}) cut each label out into a tag, and the Prometheus
 * output drops the {@code wasmcustom.} prefix, leaving {@code istio_requests_total{reporter=...}}.
 * Histograms reach the admin endpoint only at a stats flush, and Envoy keeps them as log-linear
 * histograms with two significant digits, so {@code _sum} is exact only to about 5% per sample;
 * {@code _count} and the counters are exact.
 */
@Tag("envoy")
class TelemetryEnvoyTest {
  static final String CLIENT = "spiffe://cluster.local/ns/shop/sa/client";

  @Test
  void istioMetricsAppearInPrometheusWithIstioLabels(@TempDir Path dir) throws Exception {
    Path bin = EnvoyTests.envoyOrSkip();
    Path accessLog = dir.resolve("access.log");
    try (TestHttpBackend backend = new TestHttpBackend();
        EnvoyProcess envoy =
            EnvoyProcess.start(
                bin,
                dir,
                new EnvoyConfig(backend.port())
                    .accessLog(accessLog)
                    .filter(EnvoyConfig.filterStateFromHeader("wp.peer_principal", "x-test-peer"))
                    .filter(EnvoyConfig.filterStateFromHeader("wp.source_workload", "x-test-src"))
                    .filter(
                        EnvoyConfig.wasm(
                            "telemetry",
                            EnvoyTests.module("telemetry"),
                            "{\"reporter\": \"waypoint\"}"))
                    .bootstrap())) {
      int port = envoy.listenerPort(EnvoyConfig.LISTENER);
      String[] peer = {"x-test-peer", CLIENT, "x-test-src", "client-v1"};
      for (int i = 0; i < 3; i++) {
        assertThat(send(port, "GET", "/?bytes=600", null, peer).statusCode()).isEqualTo(200);
      }
      String body = "b".repeat(1000);
      for (int i = 0; i < 2; i++) {
        assertThat(send(port, "POST", "/?status=503&bytes=10", body, peer).statusCode())
            .isEqualTo(503);
      }
      // No peer identity, a large response and a slow backend.
      assertThat(send(port, "GET", "/?bytes=20000&delayMs=300", null).statusCode()).isEqualTo(200);

      Map<String, String> mtls200 = labels("200", true);
      Map<String, String> mtls503 = labels("503", true);
      Map<String, String> plain200 = labels("200", false);
      PromText stats = awaitHistograms(envoy, 6);

      assertThat(only(stats, "istio_requests_total", mtls200)).isEqualTo(3);
      assertThat(only(stats, "istio_requests_total", mtls503)).isEqualTo(2);
      assertThat(only(stats, "istio_requests_total", plain200)).isEqualTo(1);
      assertThat(stats.sum("istio_requests_total", Map.of())).isEqualTo(6);

      // Exact per-request sizes from Envoy's access log: header bytes + body bytes.
      List<long[]> lines = awaitAccessLog(accessLog, 6);
      Map<String, Map<String, String>> series =
          Map.of("m200", mtls200, "m503", mtls503, "p200", plain200);
      for (Map.Entry<String, Map<String, String>> e : series.entrySet()) {
        Map<String, String> l = e.getValue();
        int code = Integer.parseInt(l.get("response_code"));
        boolean withPeer = l.get("connection_security_policy").equals("mutual_tls");
        long n = 0;
        long requestBytes = 0;
        long responseBytes = 0;
        for (long[] line : lines) {
          // line: code, request header bytes, bytes received, response header bytes, bytes sent, ms
          boolean plain = line[4] > 10_000;
          if (line[0] == code && plain != withPeer) {
            n++;
            requestBytes += line[1] + line[2];
            responseBytes += line[3] + line[4];
          }
        }
        String what = e.getKey();
        assertThat(n).as(what).isEqualTo((long) only(stats, "istio_requests_total", l));
        for (String h :
            new String[] {
              "istio_request_bytes", "istio_response_bytes", "istio_request_duration_milliseconds"
            }) {
          assertThat(only(stats, h + "_count", l)).as(what + " " + h).isEqualTo(n);
          assertThat(only(stats, h + "_bucket", with(l, "le", "+Inf")))
              .as(what + " " + h)
              .isEqualTo(n);
        }
        assertThat(only(stats, "istio_request_bytes_sum", l))
            .as(what + " request bytes, log says %d", requestBytes)
            .isCloseTo(requestBytes, within(requestBytes * 0.06));
        assertThat(only(stats, "istio_response_bytes_sum", l))
            .as(what + " response bytes, log says %d", responseBytes)
            .isCloseTo(responseBytes, within(responseBytes * 0.06));
      }
      // The POST bodies (1000 bytes each) are in the request sizes; the 20000-byte response and
      // the 300 ms delay land above the buckets below them.
      assertThat(only(stats, "istio_request_bytes_bucket", with(mtls503, "le", "1000"))).isZero();
      assertThat(only(stats, "istio_response_bytes_bucket", with(plain200, "le", "10000")))
          .isZero();
      assertThat(
              only(
                  stats, "istio_request_duration_milliseconds_bucket", with(plain200, "le", "250")))
          .isZero();
    }
  }

  /** Istio's labels for the requests this test sends. */
  private static Map<String, String> labels(String code, boolean peer) {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("reporter", "waypoint");
    m.put("source_workload", peer ? "client-v1" : "unknown");
    m.put("source_workload_namespace", peer ? "shop" : "unknown");
    m.put("source_principal", peer ? CLIENT : "unknown");
    m.put("source_canonical_service", "unknown");
    m.put("destination_workload", "unknown");
    m.put("destination_workload_namespace", "unknown");
    m.put("destination_principal", "unknown");
    m.put("destination_service", "127.0.0.1");
    m.put("destination_canonical_service", "unknown");
    m.put("request_protocol", "http");
    m.put("response_code", code);
    m.put("connection_security_policy", peer ? "mutual_tls" : "none");
    return m;
  }

  private static Map<String, String> with(Map<String, String> labels, String k, String v) {
    Map<String, String> m = new LinkedHashMap<>(labels);
    m.put(k, v);
    return m;
  }

  /** The value of the one sample with exactly these labels (every label, no more). */
  private static double only(PromText stats, String name, Map<String, String> labels) {
    List<PromText.Sample> found = new ArrayList<>();
    for (PromText.Sample s : stats.find(name, labels)) {
      if (s.labels.size() == labels.size()) {
        found.add(s);
      }
    }
    assertThat(found).as("%s%s among %s", name, labels, stats.find(name, Map.of())).hasSize(1);
    return found.get(0).value;
  }

  /** Polls until every histogram has {@code n} samples in total (histograms move at a flush). */
  private static PromText awaitHistograms(EnvoyProcess envoy, int n) throws Exception {
    long deadline = System.nanoTime() + 20_000_000_000L;
    PromText stats;
    do {
      stats = new PromText(envoy.adminGet("/stats/prometheus").body());
      if (stats.sum("istio_request_duration_milliseconds_count", Map.of()) == n
          && stats.sum("istio_request_bytes_count", Map.of()) == n
          && stats.sum("istio_response_bytes_count", Map.of()) == n) {
        return stats;
      }
      Thread.sleep(100);
    } while (System.nanoTime() < deadline);
    return stats;
  }

  private static List<long[]> awaitAccessLog(Path file, int n) throws Exception {
    long deadline = System.nanoTime() + 20_000_000_000L;
    List<long[]> out = new ArrayList<>();
    while (System.nanoTime() < deadline) {
      out.clear();
      if (Files.exists(file)) {
        for (String line : Files.readAllLines(file)) {
          if (line.isBlank()) {
            continue;
          }
          String[] f = line.trim().split(" ");
          long[] v = new long[f.length];
          for (int i = 0; i < f.length; i++) {
            v[i] = Long.parseLong(f[i]);
          }
          out.add(v);
        }
      }
      if (out.size() >= n) {
        return out;
      }
      Thread.sleep(100);
    }
    throw new AssertionError("access log has " + out.size() + " of " + n + " lines");
  }
}
