package dev.ambient.wasm.filters.authz;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ambient.wasm.sdk.ConfigException;
import dev.ambient.wasm.sdk.Header;
import dev.ambient.wasm.sdk.Json;
import org.junit.jupiter.api.Test;

/** Policy semantics on the JVM (the same classes run inside authz.wasm). */
class PolicySetTest {

  static PolicySet policies(String json) throws ConfigException {
    return PolicySet.parse(Json.parse(json).asObject());
  }

  static RequestAttributes request(String peer, String method, String path, String... headers) {
    RequestAttributes r = new RequestAttributes();
    r.peerPrincipal = peer;
    r.method = method;
    r.path = path;
    r.authority = "svc.ns:80";
    r.port = 80;
    for (int i = 0; i < headers.length; i += 2) {
      r.headers.add(new Header(headers[i], headers[i + 1]));
    }
    return r;
  }

  @Test
  void stringFormsOnPaths() throws Exception {
    PolicySet p =
        policies(
            "{\"policies\": [{\"name\": \"p\", \"spec\": {\"rules\": [{\"to\": [{\"operation\":"
                + " {\"paths\": [\"/exact\", \"/pre/*\", \"*.png\"]}}]}]}}]}");
    assertThat(p.decide(request(null, "GET", "/exact")).allowed).isTrue();
    assertThat(p.decide(request(null, "GET", "/exact/")).allowed).isFalse();
    assertThat(p.decide(request(null, "GET", "/pre/x?q")).allowed).isTrue();
    assertThat(p.decide(request(null, "GET", "/img/a.png")).allowed).isTrue();
    assertThat(p.decide(request(null, "GET", "/img/a.png.txt")).allowed).isFalse();
  }

  @Test
  void requestPrincipalsAndConditions() throws Exception {
    PolicySet p =
        policies(
            "{\"policies\": [{\"name\": \"p\", \"spec\": {\"rules\": [{"
                + "\"from\": [{\"source\": {\"requestPrincipals\": [\"https://issuer/*\"]}}],"
                + "\"when\": [{\"key\": \"request.headers[x-tenant]\", \"notValues\": [\"blocked\"]},"
                + "           {\"key\": \"source.namespace\", \"values\": [\"ns1\"]},"
                + "           {\"key\": \"destination.port\", \"values\": [\"80\"]}]}]}}]}");
    RequestAttributes r = request("spiffe://td/ns/ns1/sa/a", "GET", "/");
    assertThat(p.decide(r).allowed).isFalse();
    r.requestPrincipal = "https://issuer/alice";
    assertThat(p.decide(r).allowed).isTrue();
    r.headers.add(new Header("x-tenant", "ok"));
    r.headers.add(new Header("x-tenant", "blocked"));
    assertThat(p.decide(r).allowed).isFalse();
    RequestAttributes other = request("spiffe://td/ns/ns2/sa/a", "GET", "/");
    other.requestPrincipal = "https://issuer/alice";
    assertThat(p.decide(other).allowed).isFalse();
  }

  @Test
  void presenceMatchesAnyNonEmptyValue() throws Exception {
    PolicySet p =
        policies(
            "{\"policies\": [{\"name\": \"d\", \"spec\": {\"action\": \"DENY\", \"rules\": [{"
                + "\"when\": [{\"key\": \"request.headers[x-debug]\", \"values\": [\"*\"]}]}]}}]}");
    assertThat(p.decide(request(null, "GET", "/")).allowed).isTrue();
    assertThat(p.decide(request(null, "GET", "/", "x-debug", "")).allowed).isTrue();
    assertThat(p.decide(request(null, "GET", "/", "x-debug", "1")).allowed).isFalse();
    assertThat(p.decide(request(null, "GET", "/", "X-Debug", "1")).policy).isEqualTo("d");
  }

  @Test
  void configErrorsNameTheField() {
    String[][] cases = {
      {"{}", "policies: required"},
      {"{\"policies\": [{\"spec\": {}}]}", "policies[0].name: required"},
      {
        "{\"policies\": [{\"name\": \"p\", \"spec\": {\"action\": \"CUSTOM\"}}]}",
        "policies[0].spec.action: CUSTOM is not supported"
      },
      {
        "{\"policies\": [{\"name\": \"p\", \"spec\": {\"rules\": [{\"from\": [{\"source\": {}}]}]}}]}",
        "policies[0].spec.rules[0].from[0].source: empty"
      },
      {
        "{\"policies\": [{\"name\": \"p\", \"spec\": {\"rules\": [{\"from\": [{\"source\":"
            + " {\"ipBlocks\": [\"10.0.0.0/8\"]}}]}]}}]}",
        "ipBlocks: IP blocks are not supported"
      },
      {
        "{\"policies\": [{\"name\": \"p\", \"spec\": {\"rules\": [{\"to\": [{\"operation\":"
            + " {\"paths\": [\"/a/*/b\"]}}]}]}}]}",
        "paths[0]: \"/a/*/b\" (only one leading or trailing '*' is allowed)"
      },
      {
        "{\"policies\": [{\"name\": \"p\", \"spec\": {\"rules\": [{\"to\": [{\"operation\":"
            + " {\"paths\": [\"/a/{*}\"]}}]}]}}]}",
        "path templates"
      },
      {
        "{\"policies\": [{\"name\": \"p\", \"spec\": {\"rules\": [{\"when\": [{\"key\":"
            + " \"source.ip\", \"values\": [\"1.2.3.4\"]}]}]}}]}",
        "policies[0].spec.rules[0].when[0].key: \"source.ip\" is not supported"
      },
      {
        "{\"policies\": [{\"name\": \"p\", \"spec\": {\"rules\": [{\"when\": [{\"key\":"
            + " \"request.headers[a]\"}]}]}}]}",
        "one of values or notValues is required"
      },
      {
        "{\"policies\": [{\"name\": \"p\", \"spec\": {\"rules\": [{\"to\": [{\"operation\":"
            + " {\"methods\": []}}]}]}}]}",
        "operation.methods: empty list"
      },
    };
    for (String[] c : cases) {
      assertThatThrownBy(() -> policies(c[0]))
          .as(c[0])
          .isInstanceOf(ConfigException.class)
          .hasMessageContaining(c[1]);
    }
  }
}
