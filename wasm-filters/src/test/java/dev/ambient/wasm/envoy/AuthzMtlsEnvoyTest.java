package dev.ambient.wasm.envoy;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Peer-principal rules with a real peer identity: Envoy terminates mTLS, the client presents a
 * certificate whose URI SAN is its SPIFFE ID, and the authz module decides on it. Two ways in:
 * {@code filterState} is the waypoint's (a network set_filter_state filter copies {@code
 * %DOWNSTREAM_PEER_URI_SAN%} into {@code wp.peer_principal}); {@code tlsAttribute} is the SDK's
 * fallback for a filter on a TLS listener ({@code connection.uri_san_peer_certificate}).
 */
@Tag("envoy")
class AuthzMtlsEnvoyTest {
  static final String POLICY =
      "{\"policies\": [{\"name\": \"allow-client\", \"namespace\": \"shop\", \"spec\": {\"action\": \"ALLOW\","
          + " \"rules\": [{\"from\": [{\"source\": {\"principals\": [\"cluster.local/ns/shop/sa/client\"]}}]},"
          + "            {\"from\": [{\"source\": {\"namespaces\": [\"ops\"]}}], \"to\": [{\"operation\": {\"methods\": [\"GET\"]}}]}]}}]}";

  @ParameterizedTest
  @ValueSource(strings = {"filterState", "tlsAttribute"})
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
              .mtls(dir.resolve("server.pem"), dir.resolve("server.key"), dir.resolve("ca.pem"))
              .filter(EnvoyConfig.wasm("authz", EnvoyTests.module("authz"), POLICY));
      if (source.equals("filterState")) {
        config.peerPrincipalFromTls("wp.peer_principal");
      }
      try (EnvoyProcess envoy = EnvoyProcess.start(bin, dir, config.bootstrap())) {
        int port = envoy.listenerPort(EnvoyConfig.LISTENER);
        assertThat(get(ca, "spiffe://cluster.local/ns/shop/sa/client", port, "GET", "/a").statusCode())
            .isEqualTo(200);
        assertThat(backend.received()).contains("GET /a");
        HttpResponse<String> other = get(ca, "spiffe://cluster.local/ns/shop/sa/other", port, "GET", "/b");
        assertThat(other.statusCode()).isEqualTo(403);
        assertThat(other.body()).isEqualTo("RBAC: access denied");
        // Namespace rule: any service account in "ops", GET only.
        assertThat(get(ca, "spiffe://cluster.local/ns/ops/sa/tool", port, "GET", "/c").statusCode())
            .isEqualTo(200);
        assertThat(get(ca, "spiffe://cluster.local/ns/ops/sa/tool", port, "DELETE", "/d").statusCode())
            .isEqualTo(403);
        assertThat(backend.received()).containsExactly("GET /a", "GET /c");
      }
    }
  }

  private static HttpResponse<String> get(TestCerts ca, String spiffeId, int port, String method, String path)
      throws Exception {
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
