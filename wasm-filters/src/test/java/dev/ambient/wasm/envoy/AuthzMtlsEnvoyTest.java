package dev.ambient.wasm.envoy;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Peer-principal rules with a real peer identity: Envoy terminates mTLS, the client presents a
 * certificate whose URI SAN is its SPIFFE ID, and the authz module decides on it. Ways in: {@code
 * filterState}: an HTTP set_filter_state filter copies {@code %DOWNSTREAM_PEER_URI_SAN%} into
 * {@code wp.peer_principal}, the key the waypoint publishes; {@code networkFilterState}: the same
 * at the connection level ({@code on_new_connection}), which on a TLS listener runs before the
 * handshake and so finds no SAN; {@code tlsAttribute}: nothing set, the SDK falls back to {@code
 * connection.uri_san_peer_certificate}.
 */
@Tag("envoy")
class AuthzMtlsEnvoyTest {
  static final String POLICY =
      "{\"policies\": [{\"name\": \"allow-client\", \"namespace\": \"shop\", \"spec\": {\"action\": \"ALLOW\","
          + " \"rules\": [{\"from\": [{\"source\": {\"principals\": [\"cluster.local/ns/shop/sa/client\"]}}]},"
          + "            {\"from\": [{\"source\": {\"namespaces\": [\"ops\"]}}], \"to\": [{\"operation\": {\"methods\": [\"GET\"]}}]}]}}]}";

  @ParameterizedTest
  @ValueSource(strings = {"filterState", "networkFilterState", "tlsAttribute"})
  void decidesOnTheClientCertificatesSpiffeId(String source, @TempDir Path dir) throws Exception {
    Path bin = EnvoyTests.envoyOrSkip();
    TestCerts ca = new TestCerts();
    TestCerts.Leaf server = ca.serverFor127001();
    TestCerts.writePem(dir.resolve("server.pem"), "CERTIFICATE", server.cert.getEncoded());
    TestCerts.writePem(dir.resolve("server.key"), "PRIVATE KEY", server.key.getEncoded());
    TestCerts.writePem(dir.resolve("ca.pem"), "CERTIFICATE", ca.root().getEncoded());
    try (TestHttpBackend backend = new TestHttpBackend()) {
      EnvoyConfig config =
          new EnvoyConfig(backend.port())
              .mtls(dir.resolve("server.pem"), dir.resolve("server.key"), dir.resolve("ca.pem"));
      Path accessLog = dir.resolve("access.log");
      // The access log shows what the filter state held, so the filterState variant cannot pass
      // on the SDK's TLS-attribute fallback alone.
      config.accessLog(accessLog, "%REQ(:PATH)% %FILTER_STATE(wp.peer_principal:PLAIN)%\n");
      if (source.equals("filterState")) {
        config.filter(EnvoyConfig.filterState("wp.peer_principal", "%DOWNSTREAM_PEER_URI_SAN%"));
      } else if (source.equals("networkFilterState")) {
        config.peerPrincipalFromTls("wp.peer_principal");
      }
      // The set_filter_state HTTP filter must run before authz: add authz last.
      config.filter(EnvoyConfig.wasm("authz", EnvoyTests.module("authz"), POLICY));
      try (EnvoyProcess envoy = EnvoyProcess.start(bin, dir, config.bootstrap())) {
        int port = envoy.listenerPort(EnvoyConfig.LISTENER);
        assertThat(
                get(ca, "spiffe://cluster.local/ns/shop/sa/client", port, "GET", "/a").statusCode())
            .isEqualTo(200);
        assertThat(backend.received()).contains("GET /a");
        HttpResponse<String> other =
            get(ca, "spiffe://cluster.local/ns/shop/sa/other", port, "GET", "/b");
        assertThat(other.statusCode()).isEqualTo(403);
        assertThat(other.body()).isEqualTo("RBAC: access denied");
        // Namespace rule: any service account in "ops", GET only.
        assertThat(get(ca, "spiffe://cluster.local/ns/ops/sa/tool", port, "GET", "/c").statusCode())
            .isEqualTo(200);
        assertThat(
                get(ca, "spiffe://cluster.local/ns/ops/sa/tool", port, "DELETE", "/d").statusCode())
            .isEqualTo(403);
        assertThat(backend.received()).containsExactly("GET /a", "GET /c");
        long deadline = System.nanoTime() + 20_000_000_000L;
        String log = "";
        while (System.nanoTime() < deadline && !log.contains("/d ")) {
          log = Files.exists(accessLog) ? Files.readString(accessLog) : "";
          Thread.sleep(50);
        }
        if (source.equals("filterState")) {
          assertThat(log)
              .contains("/a spiffe://cluster.local/ns/shop/sa/client\n")
              .contains("/b spiffe://cluster.local/ns/shop/sa/other\n");
        } else if (source.equals("networkFilterState")) {
          // on_new_connection ran before the TLS handshake finished: the filter state exists but
          // is empty, and the decisions above came from the SDK's TLS fallback.
          assertThat(log).contains("/a \n").doesNotContain("spiffe://");
        } else {
          assertThat(log).contains("/a -\n").doesNotContain("spiffe://");
        }
      }
    }
  }

  private static HttpResponse<String> get(
      TestCerts ca, String spiffeId, int port, String method, String path) throws Exception {
    HttpClient client =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .sslContext(ca.clientContext(ca.client(spiffeId)))
            .connectTimeout(Duration.ofSeconds(5))
            .build();
    HttpRequest req =
        HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + port + path))
            .timeout(Duration.ofSeconds(10))
            .method(method, HttpRequest.BodyPublishers.noBody())
            .build();
    return client.send(req, HttpResponse.BodyHandlers.ofString());
  }
}
