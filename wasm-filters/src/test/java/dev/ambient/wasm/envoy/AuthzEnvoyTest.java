package dev.ambient.wasm.envoy;

import static dev.ambient.wasm.envoy.EnvoyTests.send;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The compiled authz module in a real Envoy (V8), behind real HTTP requests. The peer identity
 * reaches the filter as filter state {@code wp.peer_principal}, as in the waypoint; here a
 * set_filter_state filter copies it from a test header, where the waypoint copies {@code
 * %DOWNSTREAM_PEER_URI_SAN%} of the HBONE connection (see {@link AuthzMtlsEnvoyTest} for a listener
 * that takes it from a real client certificate).
 */
@Tag("envoy")
class AuthzEnvoyTest {
  static final String CLIENT = "spiffe://cluster.local/ns/shop/sa/client";

  /** ALLOW: a peer rule and an anonymous rule; DENY on a header; AUDIT on POST. */
  static final String POLICIES =
      "{\"failStrategy\": \"FAIL_CLOSE\", \"policies\": ["
          + "{\"name\": \"allow-api\", \"namespace\": \"shop\", \"spec\": {\"action\": \"ALLOW\","
          + "  \"rules\": [{\"from\": [{\"source\": {\"principals\": [\"cluster.local/ns/shop/sa/client\"]}}],"
          + "              \"to\": [{\"operation\": {\"methods\": [\"GET\", \"POST\"], \"paths\": [\"/api/*\"]}}]},"
          + "             {\"to\": [{\"operation\": {\"methods\": [\"GET\"], \"paths\": [\"/public/*\", \"*.css\"]}}]}]}},"
          + "{\"name\": \"deny-blocked\", \"namespace\": \"shop\", \"spec\": {\"action\": \"DENY\","
          + "  \"rules\": [{\"when\": [{\"key\": \"request.headers[x-tenant]\", \"values\": [\"blocked\"]}]}]}},"
          + "{\"name\": \"audit-post\", \"namespace\": \"shop\", \"spec\": {\"action\": \"AUDIT\","
          + "  \"rules\": [{\"to\": [{\"operation\": {\"methods\": [\"POST\"]}}]}]}}"
          + "]}";

  @TempDir static Path dir;
  static TestHttpBackend backend;
  static EnvoyProcess envoy;
  static int port;

  @BeforeAll
  static void start() throws Exception {
    Path bin = EnvoyTests.envoyOrSkip();
    backend = new TestHttpBackend();
    String bootstrap =
        new EnvoyConfig(backend.port())
            .filter(EnvoyConfig.filterStateFromHeader("wp.peer_principal", "x-test-peer"))
            .filter(EnvoyConfig.wasm("authz", EnvoyTests.module("authz"), POLICIES))
            .bootstrap();
    envoy = EnvoyProcess.start(bin, dir, bootstrap);
    port = envoy.listenerPort(EnvoyConfig.LISTENER);
  }

  @AfterAll
  static void stop() {
    if (envoy != null) {
      envoy.close();
    }
    if (backend != null) {
      backend.close();
    }
  }

  private static void assertDenied(HttpResponse<String> r, String request) {
    assertThat(r.statusCode()).as(request).isEqualTo(403);
    assertThat(r.body()).isEqualTo("RBAC: access denied");
    assertThat(backend.received())
        .as("a denied request must not reach the backend")
        .doesNotContain(request);
  }

  @Test
  void allowsOperationsThatAnAllowRuleMatches() throws Exception {
    HttpResponse<String> r = send(port, "GET", "/public/a?bytes=5", null);
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.body()).isEqualTo("xxxxx");
    assertThat(backend.received()).contains("GET /public/a?bytes=5");
    assertThat(send(port, "GET", "/assets/site.css", null).statusCode()).isEqualTo(200);
  }

  @Test
  void deniesMethodsAndPathsOutsideTheAllowRules() throws Exception {
    assertDenied(send(port, "DELETE", "/public/b", null), "DELETE /public/b");
    assertDenied(send(port, "GET", "/private/c", null), "GET /private/c");
    assertDenied(send(port, "POST", "/public/d", "x"), "POST /public/d");
  }

  @Test
  void aDenyPolicyOnAHeaderWinsOverAllow() throws Exception {
    assertDenied(send(port, "GET", "/public/e", null, "x-tenant", "blocked"), "GET /public/e");
    assertThat(send(port, "GET", "/public/f", null, "x-tenant", "ok").statusCode()).isEqualTo(200);
  }

  @Test
  void peerPrincipalRulesUseTheFilterState() throws Exception {
    assertThat(send(port, "GET", "/api/items", null, "x-test-peer", CLIENT).statusCode())
        .isEqualTo(200);
    assertDenied(
        send(
            port,
            "GET",
            "/api/other",
            null,
            "x-test-peer",
            "spiffe://cluster.local/ns/other/sa/client"),
        "GET /api/other");
    // A near miss of the allowed identity is denied: principals match exactly.
    assertDenied(
        send(port, "GET", "/api/near", null, "x-test-peer", CLIENT + "x"), "GET /api/near");
    assertDenied(send(port, "GET", "/api/anonymous", null), "GET /api/anonymous");
  }

  @Test
  void auditLogsAndCountsWithoutDeciding() throws Exception {
    assertThat(send(port, "POST", "/api/audited", "body", "x-test-peer", CLIENT).statusCode())
        .isEqualTo(200);
    assertThat(backend.received()).contains("POST /api/audited");
    envoy.awaitLog(
        "authz AUDIT policy=shop.audit-post principal=cluster.local/ns/shop/sa/client POST /api/audited");
    PromText stats = new PromText(envoy.adminGet("/stats/prometheus").body());
    assertThat(stats.sum("wasm_authz_audit_total", Map.of("policy", "shop.audit-post")))
        .isGreaterThanOrEqualTo(1);
    assertThat(
            stats.sum(
                "wasm_authz_requests_total",
                Map.of("decision", "allow", "policy", "shop.allow-api")))
        .isGreaterThanOrEqualTo(1);
  }
}
