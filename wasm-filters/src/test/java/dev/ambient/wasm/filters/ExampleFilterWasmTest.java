package dev.ambient.wasm.filters;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ambient.wasm.host.HttpStream;
import dev.ambient.wasm.host.ProxyWasmHost;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The SDK's surface, exercised through the compiled example filter in the Chicory host. */
class ExampleFilterWasmTest {

  private static ProxyWasmHost started(String config) {
    ProxyWasmHost host = ProxyWasmHost.load("example");
    assertThat(host.start("")).isTrue();
    assertThat(host.configure(config)).as("configure: %s", host.logs()).isTrue();
    return host;
  }

  private static HttpStream request(ProxyWasmHost host, String method, String path) {
    HttpStream s = host.newStream();
    s.requestHeaders().add(new String[] {":method", method});
    s.requestHeaders().add(new String[] {":path", path});
    ProxyWasmHost.property(s, "request.path", path);
    ProxyWasmHost.property(s, "request.method", method);
    return s;
  }

  @Test
  void headersPropertiesMetricsAndSharedData() {
    ProxyWasmHost host = started("{\"greeting\": \"hi\"}");
    HttpStream s = request(host, "GET", "/a");
    s.requestHeaders().add(new String[] {"x-multi", "one"});
    s.requestHeaders().add(new String[] {"x-multi", "two, three"});
    s.requestHeaders().add(new String[] {"x-replaced", "old1"});
    s.requestHeaders().add(new String[] {"x-replaced", "old2"});
    s.requestHeaders().add(new String[] {"x-remove-me", "x"});
    ProxyWasmHost.property(s, "filter_state.wp.peer_principal", "spiffe://td/ns/a/sa/b");
    assertThat(host.requestHeaders(s, true)).isZero();
    assertThat(HttpStream.values(s.requestHeaders(), "x-greeting")).containsExactly("hi");
    assertThat(HttpStream.values(s.requestHeaders(), "x-replaced")).containsExactly("new");
    assertThat(HttpStream.values(s.requestHeaders(), "x-remove-me")).isEmpty();
    assertThat(host.responseHeaders(s, false)).isZero();
    assertThat(HttpStream.values(s.responseHeaders(), "x-path")).containsExactly("/a");
    assertThat(HttpStream.values(s.responseHeaders(), "x-peer"))
        .containsExactly("spiffe://td/ns/a/sa/b");
    // Repeated fields stay separate; a comma inside one value is not a separator.
    assertThat(HttpStream.values(s.responseHeaders(), "x-multi-seen"))
        .containsExactly("one|two, three");
    host.responseBody(s, "shout".getBytes(StandardCharsets.UTF_8), true);
    assertThat(new String(s.responseBody(), StandardCharsets.UTF_8)).isEqualTo("SHOUT");
    host.finish(s);

    HttpStream s2 = request(host, "GET", "/b");
    host.requestHeaders(s2, true);
    host.finish(s2);
    assertThat(host.metric("method=.=GET;.;example_requests_total").value).isEqualTo(2);
    assertThat(host.sharedStore()).isNotNull();
    assertThat(host.logged(2, "example configured: greeting=hi")).isTrue();
  }

  @Test
  void localResponseAndBody() {
    ProxyWasmHost host = started("{}");
    HttpStream s = request(host, "POST", "/t");
    s.requestHeaders().add(new String[] {"x-teapot", "1"});
    assertThat(host.requestHeaders(s, true)).isEqualTo(1);
    assertThat(s.localResponse().status).isEqualTo(418);
    assertThat(s.localResponse().body).isEqualTo("short and stout");
    assertThat(s.localResponse().headers.get(0)).containsExactly("x-teapot", "yes");

    HttpStream b = request(host, "POST", "/u");
    host.requestHeaders(b, false);
    assertThat(host.requestBody(b, "partial".getBytes(StandardCharsets.UTF_8), false)).isEqualTo(1);
    assertThat(host.requestBody(b, "this is forbidden".getBytes(StandardCharsets.UTF_8), true))
        .isEqualTo(1);
    assertThat(b.localResponse().status).isEqualTo(400);
  }

  @Test
  void exceptionFailsClosedByDefaultAndOpenWhenConfigured() {
    ProxyWasmHost closed = started("{}");
    HttpStream s = request(closed, "GET", "/");
    s.requestHeaders().add(new String[] {"x-throw", "1"});
    assertThat(closed.requestHeaders(s, true)).isEqualTo(1);
    assertThat(s.localResponse().status).isEqualTo(503);
    assertThat(closed.logged(4, "IllegalStateException: asked to throw")).isTrue();
    // Envoy then runs the local reply through this filter's response callbacks (seen in Envoy
    // 1.40, where the example's body rewrite turned the 503 body upper case): the SDK passes its
    // own error answer through without calling the filter again.
    assertThat(closed.responseHeaders(s, false)).isZero();
    assertThat(s.responseHeaders()).noneMatch(h -> h[0].equals("x-path"));
    byte[] error = "wasm filter error".getBytes(StandardCharsets.UTF_8);
    assertThat(closed.responseBody(s, error, true)).isZero();
    assertThat(new String(s.responseBody(), StandardCharsets.UTF_8)).isEqualTo("wasm filter error");

    ProxyWasmHost open = started("{\"failStrategy\": \"FAIL_OPEN\"}");
    HttpStream o = request(open, "GET", "/");
    o.requestHeaders().add(new String[] {"x-throw", "1"});
    assertThat(open.requestHeaders(o, true)).isZero();
    assertThat(o.localResponse()).isNull();
    // The VM survives: the next request runs normally.
    HttpStream next = request(open, "GET", "/ok");
    assertThat(open.requestHeaders(next, true)).isZero();
  }

  @Test
  void nullDereferenceAndOutOfBoundsBecomeExceptionsNotTraps() {
    ProxyWasmHost host = started("{}");
    for (String header : new String[] {"x-npe", "x-oob"}) {
      HttpStream s = request(host, "GET", "/");
      s.requestHeaders().add(new String[] {header, "1"});
      assertThat(host.requestHeaders(s, true)).as(header).isEqualTo(1);
      assertThat(s.localResponse().status).as(header).isEqualTo(503);
    }
    assertThat(host.logged(4, "NullPointerException")).as("%s", host.logs()).isTrue();
    // TeaVM raises the bounds exception but keeps no class name for it.
    assertThat(host.logs())
        .filteredOn(l -> l.level == 4 && l.message.startsWith("proxy_on_request_headers: "))
        .hasSize(2);
    HttpStream next = request(host, "GET", "/ok");
    assertThat(host.requestHeaders(next, true)).isZero();
  }

  @Test
  void configErrorsAreRejectedWithAMessageAndKeepThePreviousConfig() {
    ProxyWasmHost host = started("{\"greeting\": \"first\"}");
    assertThat(host.configure("{\"greeting\": ")).isFalse();
    assertThat(host.logged(4, "invalid JSON at offset")).isTrue();
    assertThat(host.configure("{\"greting\": \"typo\"}")).isFalse();
    assertThat(host.logged(4, "greting: unknown field (known: greeting, tickMillis)")).isTrue();
    assertThat(host.configure("[1]")).isFalse();
    assertThat(host.configure("{\"failStrategy\": \"SOMETIMES\"}")).isFalse();
    HttpStream s = request(host, "GET", "/");
    host.requestHeaders(s, true);
    assertThat(HttpStream.values(s.requestHeaders(), "x-greeting")).containsExactly("first");
  }

  @Test
  void unconfiguredPluginAppliesItsFailStrategy() {
    ProxyWasmHost host = ProxyWasmHost.load("example");
    assertThat(host.start("")).isTrue();
    assertThat(host.configure("{\"failStrategy\": \"FAIL_OPEN\", \"bogus\": 1}")).isFalse();
    HttpStream s = request(host, "GET", "/");
    assertThat(host.requestHeaders(s, true)).isZero();

    ProxyWasmHost closed = ProxyWasmHost.load("example");
    assertThat(closed.start("")).isTrue();
    assertThat(closed.configure("{\"bogus\": 1}")).isFalse();
    HttpStream c = request(closed, "GET", "/");
    assertThat(closed.requestHeaders(c, true)).isEqualTo(1);
    assertThat(c.localResponse().status).isEqualTo(503);
  }

  @Test
  void timers() {
    ProxyWasmHost host = started("{\"tickMillis\": 250}");
    assertThat(host.tickPeriodMillis()).isEqualTo(250);
    host.tick();
    host.tick();
    assertThat(host.metric("example_ticks").value).isEqualTo(2);
  }

  @Test
  void vmConfigurationErrorsFailTheStart() {
    ProxyWasmHost host = ProxyWasmHost.load("example");
    assertThat(host.start("{\"gcStress\": \"yes\"}")).isFalse();
    assertThat(host.logged(4, "gcStress: expected a boolean, got a string")).isTrue();
  }
}
