package dev.ambient.wasm.filters;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ambient.wasm.host.HttpStream;
import dev.ambient.wasm.host.ProxyWasmHost;
import org.junit.jupiter.api.Test;

/**
 * Requests in one VM with the SDK's GC-stress mode (a full, object-moving collection before every
 * host call) and heavy allocation: every answer must stay correct, which it would not if a pointer
 * into the moving heap were kept across an allocation. Without stress mode, a longer soak checks
 * that linear memory stops growing once the heap has reached its working size. (A collection in the
 * Chicory interpreter is slow, hence the smaller stressed run.)
 */
class GcStressWasmTest {
  private static final int STRESSED = 20;
  private static final int SOAK = 300;

  @Test
  void authzUnderConstantCollection() {
    authz("{\"gcStress\": true}", STRESSED);
  }

  @Test
  void authzSoakKeepsMemoryBounded() {
    authz("", SOAK);
  }

  @Test
  void sdkRoundTripsUnderConstantCollection() {
    example("{\"gcStress\": true}", STRESSED);
  }

  @Test
  void sdkSoakKeepsMemoryBounded() {
    example("", SOAK);
  }

  private static void authz(String vmConfig, int requests) {
    ProxyWasmHost host = ProxyWasmHost.load("authz");
    assertThat(host.start(vmConfig)).isTrue();
    assertThat(host.configure(AuthzWasmTest.POLICIES)).isTrue();
    int pagesAfterWarmUp = 0;
    for (int i = 0; i < requests; i++) {
      boolean allowed = i % 3 != 0;
      String big = "v".repeat(200 + (i * 37) % 3000);
      HttpStream s =
          AuthzWasmTest.request(
              host,
              allowed ? AuthzWasmTest.CLIENT : AuthzWasmTest.OTHER,
              "GET",
              "/api/items/" + i,
              "x-filler",
              big,
              "x-filler",
              big,
              "x-role",
              "user");
      int action = host.requestHeaders(s, true);
      if (allowed) {
        assertThat(action).as("request %d", i).isZero();
        assertThat(s.localResponse()).as("request %d", i).isNull();
      } else {
        AuthzWasmTest.assertDenied(s, action, "none");
      }
      host.finish(s);
      if (i == requests / 4) {
        pagesAfterWarmUp = host.memoryPages();
      }
    }
    assertThat(host.memoryPages()).isEqualTo(pagesAfterWarmUp);
    assertThat(host.logs()).noneMatch(l -> l.level >= 4);
  }

  private static void example(String vmConfig, int requests) {
    ProxyWasmHost host = ProxyWasmHost.load("example");
    assertThat(host.start(vmConfig)).isTrue();
    assertThat(host.configure("{\"greeting\": \"g\"}")).isTrue();
    int pagesAfterWarmUp = 0;
    for (int i = 0; i < requests; i++) {
      HttpStream s = host.newStream();
      s.requestHeaders().add(new String[] {":path", "/p" + i});
      s.requestHeaders().add(new String[] {"x-big", Integer.toString(64 + i % 256)});
      s.requestHeaders().add(new String[] {"x-multi", "a" + i});
      s.requestHeaders().add(new String[] {"x-multi", "b" + i});
      ProxyWasmHost.property(s, "request.path", "/p" + i);
      ProxyWasmHost.property(s, "request.method", "GET");
      ProxyWasmHost.property(s, "filter_state.wp.peer_principal", "spiffe://td/ns/n/sa/s" + i);
      assertThat(host.requestHeaders(s, true)).isZero();
      assertThat(host.responseHeaders(s, false)).isZero();
      assertThat(HttpStream.values(s.responseHeaders(), "x-path")).containsExactly("/p" + i);
      assertThat(HttpStream.values(s.responseHeaders(), "x-peer"))
          .containsExactly("spiffe://td/ns/n/sa/s" + i);
      assertThat(HttpStream.values(s.responseHeaders(), "x-multi-seen"))
          .containsExactly("a" + i + "|b" + i);
      host.finish(s);
      if (i == requests / 4) {
        pagesAfterWarmUp = host.memoryPages();
      }
    }
    assertThat(host.memoryPages()).isEqualTo(pagesAfterWarmUp);
    assertThat(host.metric("method=.=GET;.;example_requests_total").value).isEqualTo(requests);
  }
}
