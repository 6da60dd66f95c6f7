package dev.ambient.ztunnel.admin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.ambient.api.authz.IpLiteral;
import dev.ambient.api.config.MeshConfigLoader;
import dev.ambient.api.model.MeshState;
import dev.ambient.api.spiffe.SpiffeId;
import dev.ambient.ztunnel.identity.CertificateInfo;
import dev.ambient.ztunnel.identity.WorkloadCertificate;
import dev.ambient.ztunnel.metrics.ConnectionLabels;
import dev.ambient.ztunnel.metrics.ConnectionTracker;
import dev.ambient.ztunnel.metrics.ExpositionReader;
import dev.ambient.ztunnel.metrics.ExpositionReader.Series;
import dev.ambient.ztunnel.metrics.PrometheusTcpMetrics;
import dev.ambient.ztunnel.testing.TestPki;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class AdminServerTest {
  static final String YAML =
      """
      workloads:
      - {name: client, namespace: default, serviceAccount: sleep, node: n, addresses: [127.0.1.1, "fd00::1"], waypoint: {address: 127.0.3.1}, labels: {app: client}}
      - {name: server, namespace: default, node: n, addresses: [127.0.1.2], labels: {app: server}}
      services:
      - {name: echo, namespace: default, vips: [127.0.10.1], ports: [{port: 80, targetPort: 8080}], endpoints: {app: server}}
      authorizationPolicies:
      - metadata: {name: deny-sleep, namespace: default}
        spec:
          action: DENY
          selector: {matchLabels: {app: server}}
          rules: [{from: [{source: {principals: ["cluster.local/ns/default/sa/sleep"], notIpBlocks: ["fd00::/8"]}}], to: [{operation: {ports: ["8080"]}}]}]
      """;

  final TestPki pki = new TestPki("cluster.local");
  final WorkloadCertificate cert = pki.issue(SpiffeId.of("cluster.local", "default", "sleep"));
  final AtomicBoolean ready = new AtomicBoolean();
  final PrometheusTcpMetrics metrics = new PrometheusTcpMetrics();
  final HttpClient http = HttpClient.newHttpClient();
  MeshState state;
  AdminServer server;

  @BeforeEach
  void start() throws Exception {
    state = MeshState.of(MeshConfigLoader.parse(YAML, "t"), 42);
    server =
        AdminServer.builder()
            .adminAddress(new InetSocketAddress(IpLiteral.parse("127.0.40.1"), 0))
            .metricsAddress(new InetSocketAddress(IpLiteral.parse("127.0.40.2"), 0))
            .readinessAddress(new InetSocketAddress(IpLiteral.parse("127.0.40.3"), 0))
            .state(() -> state)
            .certificates(
                () ->
                    List.of(
                        new CertificateInfo(
                            cert.identity(),
                            cert.leaf().getSerialNumber().toString(16),
                            cert.notBefore(),
                            cert.notAfter(),
                            CertificateInfo.State.VALID,
                            null,
                            cert.refreshAt())))
            .metrics(metrics::scrape)
            .ready(ready::get)
            .build();
    server.start();
  }

  @AfterEach
  void stop() {
    server.close();
  }

  @Test
  void configDumpShowsTheStateAndNoKeyMaterial() throws Exception {
    HttpResponse<String> r = get(server.adminAddress(), "/config_dump");
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.headers().firstValue("Content-Type")).hasValue("application/json");
    JsonObject dump = JsonParser.parseString(r.body()).getAsJsonObject();
    assertThat(dump.get("version").getAsLong()).isEqualTo(42);

    JsonObject client = dump.getAsJsonArray("workloads").get(0).getAsJsonObject();
    assertThat(client.get("uid").getAsString()).isEqualTo("Kubernetes//Pod/default/client");
    assertThat(client.get("identity").getAsString())
        .isEqualTo("spiffe://cluster.local/ns/default/sa/sleep");
    assertThat(strings(client.getAsJsonArray("addresses"))).containsExactly("127.0.1.1", "fd00::1");
    assertThat(client.getAsJsonObject("waypoint").get("address").getAsString())
        .isEqualTo("127.0.3.1");
    assertThat(client.getAsJsonObject("labels").get("app").getAsString()).isEqualTo("client");

    JsonObject echo = dump.getAsJsonArray("services").get(0).getAsJsonObject();
    assertThat(echo.get("hostname").getAsString()).isEqualTo("echo.default.svc.cluster.local");
    assertThat(strings(echo.getAsJsonArray("vips"))).containsExactly("127.0.10.1");
    assertThat(strings(echo.getAsJsonArray("endpoints")))
        .containsExactly("Kubernetes//Pod/default/server");
    assertThat(echo.getAsJsonArray("ports").get(0).getAsJsonObject().get("targetPort").getAsInt())
        .isEqualTo(8080);

    JsonObject policy = dump.getAsJsonArray("policies").get(0).getAsJsonObject();
    assertThat(policy.get("scope").getAsString()).isEqualTo("WORKLOAD_SELECTOR");
    assertThat(policy.get("action").getAsString()).isEqualTo("DENY");
    assertThat(policy.get("dryRun").getAsBoolean()).isFalse();
    JsonArray clauses =
        policy.getAsJsonArray("rules").get(0).getAsJsonObject().getAsJsonArray("clauses");
    JsonObject from =
        clauses.get(0).getAsJsonObject().getAsJsonArray("matches").get(0).getAsJsonObject();
    assertThat(strings(from.getAsJsonArray("principals")))
        .containsExactly("cluster.local/ns/default/sa/sleep");
    assertThat(strings(from.getAsJsonArray("notSourceIps"))).containsExactly("fd00::/8");
    JsonObject to =
        clauses.get(1).getAsJsonObject().getAsJsonArray("matches").get(0).getAsJsonObject();
    assertThat(to.getAsJsonArray("destinationPorts").get(0).getAsInt()).isEqualTo(8080);

    JsonObject c = dump.getAsJsonArray("certificates").get(0).getAsJsonObject();
    assertThat(c.keySet())
        .containsExactlyInAnyOrder(
            "identity", "serial", "notBefore", "notAfter", "state", "lastError", "nextAttempt");
    assertThat(c.get("serial").getAsString()).isEqualTo(cert.leaf().getSerialNumber().toString(16));
    assertThat(c.get("notAfter").getAsString()).isEqualTo(cert.notAfter().toString());
    assertThat(c.get("lastError").isJsonNull()).isTrue();

    String key = Base64.getEncoder().encodeToString(cert.privateKey().getEncoded());
    assertThat(r.body())
        .doesNotContain("PRIVATE")
        .doesNotContain("privateKey")
        .doesNotContain(key.substring(0, 40))
        .doesNotContain("BEGIN");
  }

  @Test
  void metricsExpositionShowsTheTrackersValues() throws Exception {
    ConnectionTracker t =
        metrics.open(
            new ConnectionLabels(
                ConnectionLabels.DESTINATION,
                "inbound",
                state.workloads().get(0),
                state.workloads().get(0).identity(),
                state.workloads().get(1),
                null,
                null,
                true,
                null,
                null,
                null));
    t.sent(1234);
    t.received(99);
    t.close("-", null);
    HttpResponse<String> r = get(server.metricsAddress(), "/metrics");
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.headers().firstValue("Content-Type").orElseThrow())
        .startsWith("text/plain; version=0.0.4");
    Map<Series, Double> samples = ExpositionReader.read(r.body());
    assertThat(sum(samples, "istio_tcp_received_bytes_total")).isEqualTo(1234.0);
    assertThat(sum(samples, "istio_tcp_sent_bytes_total")).isEqualTo(99.0);
    assertThat(sum(samples, "istio_tcp_connections_opened_total")).isEqualTo(1.0);
    assertThat(sum(samples, "istio_tcp_connections_closed_total")).isEqualTo(1.0);
    assertThat(samples.keySet())
        .filteredOn(s -> s.name().equals("istio_tcp_connections_closed_total"))
        .singleElement()
        .satisfies(
            s ->
                assertThat(s.labels())
                    .containsEntry("source_workload", "client")
                    .containsEntry("destination_workload", "server")
                    .containsEntry("destination_principal", "unknown")
                    .containsEntry("connection_security_policy", "mutual_tls"));
  }

  @Test
  void readinessFollowsTheSupplier() throws Exception {
    assertThat(get(server.readinessAddress(), "/healthz/ready").statusCode()).isEqualTo(503);
    ready.set(true);
    assertThat(get(server.readinessAddress(), "/healthz/ready").statusCode()).isEqualTo(200);
    ready.set(false);
    assertThat(get(server.readinessAddress(), "/healthz/ready").statusCode()).isEqualTo(503);
  }

  @Test
  void unknownPathsAndMethods() throws Exception {
    assertThat(get(server.adminAddress(), "/nope").statusCode()).isEqualTo(404);
    assertThat(get(server.adminAddress(), "/metrics").statusCode()).as("per server").isEqualTo(404);
    assertThat(get(server.metricsAddress(), "/config_dump").statusCode()).isEqualTo(404);
    assertThat(get(server.readinessAddress(), "/healthz/ready/x").statusCode()).isEqualTo(404);
    HttpResponse<String> post =
        http.send(
            HttpRequest.newBuilder(uri(server.adminAddress(), "/config_dump"))
                .POST(HttpRequest.BodyPublishers.ofString("x"))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(post.statusCode()).isEqualTo(405);
    assertThat(post.headers().firstValue("Allow")).hasValue("GET");
  }

  @Test
  void adminRefusesNonLoopbackAddresses() {
    for (InetSocketAddress bad :
        List.of(
            new InetSocketAddress(IpLiteral.parse("0.0.0.0"), 15000),
            new InetSocketAddress(IpLiteral.parse("10.1.2.3"), 15000),
            new InetSocketAddress(IpLiteral.parse("::"), 15000))) {
      assertThatThrownBy(
              () ->
                  AdminServer.builder()
                      .adminAddress(bad)
                      .state(() -> state)
                      .metrics(metrics::scrape)
                      .ready(ready::get)
                      .build())
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageStartingWith("admin address must be a loopback address");
    }
  }

  @Test
  void aPortInUseFailsStartCleanly() {
    AdminServer clash =
        AdminServer.builder()
            .adminAddress(new InetSocketAddress(IpLiteral.parse("127.0.40.4"), 0))
            .metricsAddress(server.metricsAddress())
            .readinessAddress(new InetSocketAddress(IpLiteral.parse("127.0.40.5"), 0))
            .state(() -> state)
            .metrics(metrics::scrape)
            .ready(ready::get)
            .build();
    assertThatThrownBy(clash::start)
        .isInstanceOf(java.io.IOException.class)
        .hasMessageStartingWith("cannot start admin servers");
    clash.close();
  }

  private static double sum(Map<Series, Double> samples, String name) {
    return samples.entrySet().stream()
        .filter(e -> e.getKey().name().equals(name))
        .mapToDouble(Map.Entry::getValue)
        .sum();
  }

  private static List<String> strings(JsonArray a) {
    return a.asList().stream().map(e -> e.getAsString()).toList();
  }

  private HttpResponse<String> get(InetSocketAddress address, String path) throws Exception {
    return http.send(
        HttpRequest.newBuilder(uri(address, path)).GET().build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static URI uri(InetSocketAddress a, String path) {
    return URI.create("http://" + a.getAddress().getHostAddress() + ":" + a.getPort() + path);
  }
}
