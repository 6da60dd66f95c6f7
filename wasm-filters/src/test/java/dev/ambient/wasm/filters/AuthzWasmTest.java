package dev.ambient.wasm.filters;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ambient.wasm.host.HttpStream;
import dev.ambient.wasm.host.ProxyWasmHost;
import org.junit.jupiter.api.Test;

/** The compiled authz filter in the Chicory host: Istio's L7 AuthorizationPolicy semantics. */
class AuthzWasmTest {
  static final String CLIENT = "spiffe://cluster.local/ns/shop/sa/client";
  static final String OTHER = "spiffe://cluster.local/ns/other/sa/client";

  static final String POLICIES =
      "{\"policies\": ["
          + "{\"name\": \"allow-client\", \"namespace\": \"shop\", \"spec\": {\"action\": \"ALLOW\","
          + "  \"rules\": [{\"from\": [{\"source\": {\"principals\": [\"cluster.local/ns/shop/sa/client\"]}}],"
          + "              \"to\": [{\"operation\": {\"methods\": [\"GET\", \"POST\"], \"paths\": [\"/api/*\"]}}]},"
          + "             {\"from\": [{\"source\": {\"namespaces\": [\"ops\"]}}]}]}},"
          + "{\"name\": \"deny-admin\", \"namespace\": \"shop\", \"spec\": {\"action\": \"DENY\","
          + "  \"rules\": [{\"when\": [{\"key\": \"request.headers[x-role]\", \"values\": [\"admin\"]}]}]}},"
          + "{\"name\": \"audit-post\", \"namespace\": \"shop\", \"spec\": {\"action\": \"AUDIT\","
          + "  \"rules\": [{\"to\": [{\"operation\": {\"methods\": [\"POST\"]}}]}]}}"
          + "]}";

  static ProxyWasmHost authz(String config) {
    ProxyWasmHost host = ProxyWasmHost.load("authz");
    assertThat(host.start("")).isTrue();
    assertThat(host.configure(config)).as("configure: %s", host.logs()).isTrue();
    return host;
  }

  static HttpStream request(
      ProxyWasmHost host, String peer, String method, String path, String... headers) {
    HttpStream s = host.newStream();
    s.requestHeaders().add(new String[] {":method", method});
    s.requestHeaders().add(new String[] {":path", path});
    s.requestHeaders().add(new String[] {":authority", "shop.example:8080"});
    for (int i = 0; i < headers.length; i += 2) {
      s.requestHeaders().add(new String[] {headers[i], headers[i + 1]});
    }
    if (peer != null) {
      ProxyWasmHost.property(s, "filter_state.wp.peer_principal", peer);
    }
    ProxyWasmHost.property(s, "destination.port", 8080);
    return s;
  }

  static void assertDenied(HttpStream s, int action, String policy) {
    assertThat(action).isEqualTo(1);
    assertThat(s.localResponse()).isNotNull();
    assertThat(s.localResponse().status).isEqualTo(403);
    assertThat(s.localResponse().body).isEqualTo("RBAC: access denied");
    assertThat(s.localResponse().details)
        .isEqualTo("rbac_access_denied_matched_policy[" + policy + "]");
  }

  @Test
  void allowsAMatchingPrincipalAndOperation() {
    ProxyWasmHost host = authz(POLICIES);
    HttpStream s = request(host, CLIENT, "GET", "/api/items?x=1");
    assertThat(host.requestHeaders(s, true)).isZero();
    assertThat(s.localResponse()).isNull();
    assertThat(
            host.metric("decision=.=allow;.;policy=.=shop.allow-client;.;wasm_authz_requests_total")
                .value)
        .isEqualTo(1);
  }

  @Test
  void deniesWhenNoAllowPolicyMatches() {
    ProxyWasmHost host = authz(POLICIES);
    HttpStream wrongPeer = request(host, OTHER, "GET", "/api/items");
    assertDenied(wrongPeer, host.requestHeaders(wrongPeer, true), "none");
    HttpStream wrongPath = request(host, CLIENT, "GET", "/admin");
    assertDenied(wrongPath, host.requestHeaders(wrongPath, true), "none");
    HttpStream wrongMethod = request(host, CLIENT, "DELETE", "/api/items");
    assertDenied(wrongMethod, host.requestHeaders(wrongMethod, true), "none");
    HttpStream plaintext = request(host, null, "GET", "/api/items");
    assertDenied(plaintext, host.requestHeaders(plaintext, true), "none");
    assertThat(host.metric("decision=.=deny;.;policy=.=none;.;wasm_authz_requests_total").value)
        .isEqualTo(4);
  }

  @Test
  void identityMatchingIsExact() {
    ProxyWasmHost host = authz(POLICIES);
    for (String near :
        new String[] {
          CLIENT + "-2",
          "spiffe://cluster.local/ns/shop/sa/Client",
          "spiffe://cluster.local/ns/shop/sa/client/",
          "spiffe://cluster.local.evil/ns/shop/sa/client"
        }) {
      HttpStream s = request(host, near, "GET", "/api/items");
      assertDenied(s, host.requestHeaders(s, true), "none");
    }
    // A namespace rule matches the namespace segment only.
    HttpStream ops = request(host, "spiffe://cluster.local/ns/ops/sa/any", "DELETE", "/x");
    assertThat(host.requestHeaders(ops, true)).isZero();
    HttpStream opsLike = request(host, "spiffe://cluster.local/ns/ops2/sa/any", "DELETE", "/x");
    assertDenied(opsLike, host.requestHeaders(opsLike, true), "none");
  }

  @Test
  void denyWinsAndRepeatedHeadersAreMatchedPerValue() {
    ProxyWasmHost host = authz(POLICIES);
    HttpStream single = request(host, CLIENT, "GET", "/api/items", "x-role", "admin");
    assertDenied(single, host.requestHeaders(single, true), "shop.deny-admin");
    // Joined, these would read "user,admin" and slip past an exact match (CVE-2026-26308).
    HttpStream repeated =
        request(host, CLIENT, "GET", "/api/items", "x-role", "user", "x-role", "admin");
    assertDenied(repeated, host.requestHeaders(repeated, true), "shop.deny-admin");
    HttpStream commaInside = request(host, CLIENT, "GET", "/api/items", "x-role", "user,admin");
    assertThat(host.requestHeaders(commaInside, true)).isZero();
  }

  @Test
  void auditMarksButDoesNotDecide() {
    ProxyWasmHost host = authz(POLICIES);
    HttpStream s = request(host, CLIENT, "POST", "/api/items");
    assertThat(host.requestHeaders(s, true)).isZero();
    assertThat(host.logged(2, "authz AUDIT policy=shop.audit-post")).isTrue();
    assertThat(host.metric("policy=.=shop.audit-post;.;wasm_authz_audit_total").value).isEqualTo(1);
    HttpStream deniedButAudited = request(host, OTHER, "POST", "/api/items");
    assertDenied(deniedButAudited, host.requestHeaders(deniedButAudited, true), "none");
    assertThat(host.metric("policy=.=shop.audit-post;.;wasm_authz_audit_total").value).isEqualTo(2);
  }

  @Test
  void notFormsHostsAndPorts() {
    String config =
        "{\"policies\": [{\"name\": \"p\", \"spec\": {\"rules\": [{"
            + "\"from\": [{\"source\": {\"notPrincipals\": [\"*/sa/blocked\"]}}],"
            + "\"to\": [{\"operation\": {\"hosts\": [\"SHOP.example\"], \"notPorts\": [\"9090\"],"
            + "                          \"notPaths\": [\"*.secret\"]}}]}]}}]}";
    ProxyWasmHost host = authz(config);
    HttpStream ok = request(host, CLIENT, "GET", "/a");
    assertThat(host.requestHeaders(ok, true)).isZero();
    HttpStream blocked = request(host, "spiffe://cluster.local/ns/x/sa/blocked", "GET", "/a");
    assertDenied(blocked, host.requestHeaders(blocked, true), "none");
    HttpStream secret = request(host, CLIENT, "GET", "/keys.secret");
    assertDenied(secret, host.requestHeaders(secret, true), "none");
    HttpStream port = request(host, CLIENT, "GET", "/a");
    ProxyWasmHost.property(port, "destination.port", 9090);
    assertDenied(port, host.requestHeaders(port, true), "none");
    // notPrincipals also admits a plaintext peer, as Envoy's RBAC does.
    HttpStream anonymous = request(host, null, "GET", "/a");
    assertThat(host.requestHeaders(anonymous, true)).isZero();
  }

  @Test
  void emptyPolicyListAllowsAndAllowWithoutRulesDenies() {
    ProxyWasmHost open = authz("{\"policies\": []}");
    HttpStream s = request(open, null, "GET", "/");
    assertThat(open.requestHeaders(s, true)).isZero();
    ProxyWasmHost closed =
        authz("{\"policies\": [{\"name\": \"nothing\", \"spec\": {\"action\": \"ALLOW\"}}]}");
    HttpStream d = request(closed, CLIENT, "GET", "/");
    assertDenied(d, closed.requestHeaders(d, true), "none");
  }

  @Test
  void configErrorsNameTheFieldAndKeepThePreviousPolicies() {
    ProxyWasmHost host = authz(POLICIES);
    assertThat(host.configure("{\"policies\": [")).isFalse();
    assertThat(host.logged(4, "invalid JSON")).isTrue();
    assertThat(
            host.configure(
                "{\"policies\": [{\"name\": \"p\", \"spec\": {\"rules\": [{\"to\":"
                    + " [{\"operation\": {\"method\": [\"GET\"]}}]}]}}]}"))
        .isFalse();
    assertThat(host.logged(4, "policies[0].spec.rules[0].to[0].operation.method: unknown field"))
        .as("%s", host.logs())
        .isTrue();
    assertThat(
            host.configure(
                "{\"policies\": [{\"name\": \"p\", \"spec\": {\"action\": \"MAYBE\"}}]}"))
        .isFalse();
    assertThat(host.logged(4, "policies[0].spec.action: expected ALLOW, DENY or AUDIT")).isTrue();
    assertThat(
            host.configure(
                "{\"policies\": [{\"name\": \"p\", \"spec\": {\"rules\": [{\"to\":"
                    + " [{\"operation\": {\"ports\": [\"http\"]}}]}]}}]}"))
        .isFalse();
    assertThat(host.logged(4, "\"http\" is not a port number")).isTrue();
    // The earlier policies still apply.
    HttpStream allowed = request(host, CLIENT, "GET", "/api/items");
    assertThat(host.requestHeaders(allowed, true)).isZero();
    HttpStream denied = request(host, OTHER, "GET", "/api/items");
    assertDenied(denied, host.requestHeaders(denied, true), "none");
  }

  @Test
  void unconfiguredFilterFollowsItsFailStrategy() {
    ProxyWasmHost closed = ProxyWasmHost.load("authz");
    assertThat(closed.start("")).isTrue();
    assertThat(closed.configure("{\"policies\": 5}")).isFalse();
    assertThat(closed.logged(4, "policies: expected an array, got a number")).isTrue();
    HttpStream c = request(closed, CLIENT, "GET", "/");
    assertThat(closed.requestHeaders(c, true)).isEqualTo(1);
    assertThat(c.localResponse().status).isEqualTo(503);

    ProxyWasmHost open = ProxyWasmHost.load("authz");
    assertThat(open.start("")).isTrue();
    assertThat(open.configure("{\"failStrategy\": \"FAIL_OPEN\", \"policies\": 5}")).isFalse();
    HttpStream o = request(open, CLIENT, "GET", "/");
    assertThat(open.requestHeaders(o, true)).isZero();
  }
}
