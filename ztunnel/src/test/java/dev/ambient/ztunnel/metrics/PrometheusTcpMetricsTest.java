package dev.ambient.ztunnel.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.ambient.api.authz.IpLiteral;
import dev.ambient.api.model.LoadBalancing;
import dev.ambient.api.model.Service;
import dev.ambient.api.model.ServicePort;
import dev.ambient.api.model.TunnelProtocol;
import dev.ambient.api.model.Workload;
import dev.ambient.ztunnel.metrics.ExpositionReader.Series;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

class PrometheusTcpMetricsTest {
  static final Workload CLIENT =
      workload("client", "default", "sleep", Map.of("app", "sleep", "version", "v1"));
  static final Workload SERVER = workload("server", "prod", "echo", Map.of("app", "echo"));
  static final Service ECHO =
      new Service(
          "echo",
          "prod",
          "echo.prod.svc.cluster.local",
          List.of(IpLiteral.parse("127.0.10.1")),
          List.of(new ServicePort(80, 8080)),
          List.of(SERVER.uid()),
          LoadBalancing.ROUND_ROBIN,
          null,
          List.of());

  final PrometheusTcpMetrics metrics = new PrometheusTcpMetrics();
  final ListAppender<ILoggingEvent> access = new ListAppender<>();
  final Logger accessLogger = (Logger) LoggerFactory.getLogger("access");

  @BeforeEach
  void attach() {
    access.start();
    accessLogger.addAppender(access);
  }

  @AfterEach
  void detach() {
    accessLogger.detachAppender(access);
  }

  @Test
  void countsConnectionsAndBytesWithIstiosLabels() {
    ConnectionTracker t = metrics.open(inbound(true));
    t.sent(100);
    t.sent(50);
    t.received(7);
    Map<Series, Double> live = ExpositionReader.read(metrics.scrape());
    Map<String, String> open = expectedLabels("-");
    assertThat(live.get(new Series("istio_tcp_connections_opened_total", open))).isEqualTo(1.0);
    assertThat(live.get(new Series("istio_tcp_received_bytes_total", open)))
        .as("bytes move live, before close")
        .isEqualTo(150.0);
    assertThat(live.get(new Series("istio_tcp_sent_bytes_total", open))).isEqualTo(7.0);
    assertThat(live.keySet()).noneMatch(s -> s.name().equals("istio_tcp_connections_closed_total"));

    t.close("-", null);
    t.close("DENY", "twice"); // only the first close counts
    ConnectionTracker denied = metrics.open(inbound(true));
    denied.close("DENY", "denied by policy prod/deny-all");

    Map<Series, Double> after = ExpositionReader.read(metrics.scrape());
    assertThat(after.get(new Series("istio_tcp_connections_opened_total", open))).isEqualTo(2.0);
    assertThat(after.get(new Series("istio_tcp_connections_closed_total", open))).isEqualTo(1.0);
    assertThat(after.get(new Series("istio_tcp_connections_closed_total", expectedLabels("DENY"))))
        .isEqualTo(1.0);
    assertThat(after.get(new Series("istio_tcp_received_bytes_total", open))).isEqualTo(150.0);
    assertThat(after.keySet()).anyMatch(s -> s.name().equals("process_start_time_seconds"));
  }

  @Test
  void unknownPartiesArereportedAsUnknown() {
    ConnectionLabels l =
        new ConnectionLabels(
            null, "inbound", null, null, SERVER, null, null, false, null, null, null);
    metrics.open(l).close(null, null);
    Map<Series, Double> all = ExpositionReader.read(metrics.scrape());
    Series closed =
        all.keySet().stream()
            .filter(s -> s.name().equals("istio_tcp_connections_closed_total"))
            .findFirst()
            .orElseThrow();
    assertThat(closed.labels())
        .containsEntry("reporter", "unknown")
        .containsEntry("source_workload", "unknown")
        .containsEntry("source_principal", "unknown")
        .containsEntry("source_cluster", "unknown")
        .containsEntry("destination_service", "unknown")
        .containsEntry("destination_principal", "unknown")
        .containsEntry("destination_workload", "server")
        .containsEntry("response_flags", "-")
        .containsEntry("connection_security_policy", "none");
  }

  @Test
  void labelValuesAreEscaped() {
    Workload odd = workload("a\"b\\c\nd", "default", "sa", Map.of());
    metrics
        .open(
            new ConnectionLabels(
                "source", "outbound", odd, null, null, null, null, false, null, null, null))
        .close("-", null);
    String text = metrics.scrape();
    assertThat(text).contains("source_workload=\"a\\\"b\\\\c\\nd\"");
    assertThat(ExpositionReader.read(text).keySet())
        .anyMatch(s -> "a\"b\\c\nd".equals(s.labels().get("source_workload")));
  }

  @Test
  void writesOneParsableAccessLogLinePerConnection() {
    ConnectionTracker t = metrics.open(inbound(true));
    t.sent(10);
    t.received(20);
    t.close("CONNECT", "upstream refused: \"connection refused\"");
    t.close("-", null);
    assertThat(access.list).hasSize(1);
    Map<String, String> f = Logfmt.parse(access.list.get(0).getFormattedMessage());
    assertThat(f.keySet()).containsExactly(PrometheusTcpMetrics.ACCESS_LOG_KEYS);
    assertThat(f)
        .containsEntry("src.addr", "127.0.1.1:40000")
        .containsEntry("src.workload", "client")
        .containsEntry("src.namespace", "default")
        .containsEntry("src.identity", "spiffe://cluster.local/ns/default/sa/sleep")
        .containsEntry("dst.addr", "127.0.1.2:8080")
        .containsEntry("dst.hbone_addr", "[::1]:15008")
        .containsEntry("dst.service", "echo.prod.svc.cluster.local")
        .containsEntry("dst.workload", "server")
        .containsEntry("dst.namespace", "prod")
        .containsEntry("dst.identity", "spiffe://cluster.local/ns/prod/sa/echo")
        .containsEntry("direction", "inbound")
        .containsEntry("bytes_sent", "10")
        .containsEntry("bytes_recv", "20")
        .containsEntry("flags", "CONNECT")
        .containsEntry("error", "upstream refused: \"connection refused\"");
    assertThat(Long.parseLong(f.get("duration_ms"))).isNotNegative();
  }

  @Test
  void logfmtRoundTrips() {
    Map<String, String> in = new java.util.LinkedHashMap<>();
    in.put("a", "plain");
    in.put("b", "");
    in.put("c", "with space = and \"quotes\" \\ and\nnewline\t\u0001");
    in.put("d", "ünïcode");
    assertThat(Logfmt.parse(Logfmt.format(in))).isEqualTo(in);
    assertThat(Logfmt.format(Map.of("k", "a b"))).isEqualTo("k=\"a b\"");
  }

  private static ConnectionLabels inbound(boolean mtls) {
    return new ConnectionLabels(
        ConnectionLabels.DESTINATION,
        "inbound",
        CLIENT,
        CLIENT.identity(),
        SERVER,
        SERVER.identity(),
        ECHO,
        mtls,
        new InetSocketAddress(IpLiteral.parse("127.0.1.1"), 40000),
        new InetSocketAddress(IpLiteral.parse("127.0.1.2"), 8080),
        new InetSocketAddress(IpLiteral.parse("::1"), 15008));
  }

  private static Map<String, String> expectedLabels(String flags) {
    Map<String, String> m = new java.util.LinkedHashMap<>();
    m.put("reporter", "destination");
    m.put("source_workload", "client");
    m.put("source_canonical_service", "sleep");
    m.put("source_canonical_revision", "v1");
    m.put("source_workload_namespace", "default");
    m.put("source_principal", "spiffe://cluster.local/ns/default/sa/sleep");
    m.put("source_app", "sleep");
    m.put("source_version", "v1");
    m.put("source_cluster", "Kubernetes");
    m.put("destination_service", "echo.prod.svc.cluster.local");
    m.put("destination_service_namespace", "prod");
    m.put("destination_service_name", "echo");
    m.put("destination_workload", "server");
    m.put("destination_canonical_service", "echo");
    m.put("destination_canonical_revision", "latest");
    m.put("destination_workload_namespace", "prod");
    m.put("destination_principal", "spiffe://cluster.local/ns/prod/sa/echo");
    m.put("destination_app", "echo");
    m.put("destination_version", "latest");
    m.put("destination_cluster", "Kubernetes");
    m.put("request_protocol", "tcp");
    m.put("response_flags", flags);
    m.put("connection_security_policy", "mutual_tls");
    return m;
  }

  static Workload workload(String name, String ns, String sa, Map<String, String> labels) {
    return new Workload(
        "Kubernetes//Pod/" + ns + "/" + name,
        name,
        ns,
        sa,
        "node-a",
        "cluster.local",
        List.of(IpLiteral.parse("127.0.1.1")),
        TunnelProtocol.HBONE,
        null,
        labels.getOrDefault("app", null),
        labels.getOrDefault("version", null),
        labels);
  }
}
