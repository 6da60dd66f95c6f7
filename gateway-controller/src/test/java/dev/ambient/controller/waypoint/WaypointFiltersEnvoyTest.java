package dev.ambient.controller.waypoint;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPRoute;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.net.Socket;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * HTTPRoute filters, query matches, timeouts and invalid backends, translated by {@link
 * RouteTables} and served by a real Envoy 1.40 waypoint between two real in-process ztunnels.
 */
@Tag("envoy")
class WaypointFiltersEnvoyTest extends WaypointEnvoyTestBase {

  /** Publishes an HTTPRoute on Service echo with these rules; it must translate cleanly. */
  private void publish(String rulesYaml) throws Exception {
    HTTPRoute route = TestRoutes.onEcho("default", "r", rulesYaml);
    RouteTables.Result result = RouteTables.translate(List.of(route), f.state, "cluster.local");
    assertThat(result.problems()).isEmpty();
    f.publishAndWait(f.resources(f.model(result.tables())));
  }

  private Http1.Response get(String path) throws Exception {
    return Http1.get(f.connect(f.vip, 80), "echo.default.svc.cluster.local", path);
  }

  @Test
  void queryParametersChooseTheRuleAndHeadersAreSetAndRemovedPerRuleAndBackend() throws Exception {
    publish(
        """
        - matches:
          - queryParams: [{name: v, value: "2"}]
          filters:
          - type: RequestHeaderModifier
            requestHeaderModifier: {set: [{name: x-rule, value: query}]}
          backendRefs: [{name: echo, port: 80}]
        - filters:
          - type: ResponseHeaderModifier
            responseHeaderModifier:
              set: [{name: x-served-by, value: waypoint}, {name: x-layer, value: rule}]
              remove: [x-backend]
          backendRefs:
          - name: echo
            port: 80
            filters:
            - type: RequestHeaderModifier
              requestHeaderModifier: {add: [{name: x-backend-filter, value: echo}]}
            - type: ResponseHeaderModifier
              responseHeaderModifier: {set: [{name: x-layer, value: backend}]}
        """);

    Http1.Response plain = get("/plain");
    assertThat(plain.status()).isEqualTo(200);
    assertThat(plain.headers()).containsEntry("x-served-by", "waypoint");
    assertThat(plain.headers()).doesNotContainKey("x-backend");
    assertThat(f.backend.last("/plain").headers()).doesNotContainKey("x-rule");
    // The backendRef's own filters apply, and win over the rule's.
    assertThat(f.backend.last("/plain").headers()).containsEntry("x-backend-filter", "echo");
    assertThat(plain.headers()).containsEntry("x-layer", "backend");

    Http1.Response query = get("/q?v=2");
    assertThat(query.status()).isEqualTo(200);
    assertThat(f.backend.last("/q").headers()).containsEntry("x-rule", "query");
    assertThat(query.headers()).as("the other rule's filter").containsKey("x-backend");

    get("/q2?v=3");
    assertThat(f.backend.last("/q2").headers()).doesNotContainKey("x-rule");
  }

  @Test
  void redirectsAnswerWithStatusAndLocation() throws Exception {
    publish(
        """
        - matches: [{path: {type: PathPrefix, value: /old}}]
          filters:
          - type: RequestRedirect
            requestRedirect:
              hostname: example.com
              statusCode: 301
              path: {type: ReplacePrefixMatch, replacePrefixMatch: /new}
        - matches: [{path: {type: Exact, value: /secure}}]
          filters:
          - type: RequestRedirect
            requestRedirect: {scheme: https}
        - matches: [{path: {type: Exact, value: /port}}]
          filters:
          - type: RequestRedirect
            requestRedirect: {port: 8080, path: {type: ReplaceFullPath, replaceFullPath: /p}}
        """);

    Http1.Response moved = get("/old/page?x=1");
    assertThat(moved.status()).isEqualTo(301);
    assertThat(moved.headers()).containsEntry("location", "http://example.com/new/page?x=1");
    Http1.Response secure = get("/secure");
    assertThat(secure.status()).isEqualTo(302);
    assertThat(secure.headers())
        .containsEntry("location", "https://echo.default.svc.cluster.local/secure");
    Http1.Response port = get("/port");
    assertThat(port.status()).isEqualTo(302);
    assertThat(port.headers())
        .containsEntry("location", "http://echo.default.svc.cluster.local:8080/p");
    assertThat(f.backend.received).as("redirects never reach the backend").isEmpty();
  }

  @Test
  void rewritesReachTheBackend() throws Exception {
    publish(
        """
        - matches: [{path: {type: PathPrefix, value: /api}}]
          filters:
          - type: URLRewrite
            urlRewrite:
              hostname: rewritten.example
              path: {type: ReplacePrefixMatch, replacePrefixMatch: /v2}
          backendRefs: [{name: echo, port: 80}]
        - matches: [{path: {type: PathPrefix, value: /strip}}]
          filters:
          - type: URLRewrite
            urlRewrite: {path: {type: ReplacePrefixMatch, replacePrefixMatch: /}}
          backendRefs: [{name: echo, port: 80}]
        """);

    Http1.Response r = get("/api/items?id=7");
    assertThat(r.status()).isEqualTo(200);
    assertThat(r.body()).isEqualTo("server /v2/items");
    HttpBackend.Received seen = f.backend.last("/v2/items");
    assertThat(seen.headers()).containsEntry("host", "rewritten.example");
    assertThat(seen.query()).isEqualTo("id=7");

    assertThat(get("/strip/x").body()).isEqualTo("server /x");
    assertThat(get("/strip").body()).isEqualTo("server /");
  }

  @Test
  void mirrorsReachTheSecondBackendWhileTheClientGetsThePrimarysAnswer() throws Exception {
    publish(
        """
        - filters:
          - type: RequestMirror
            requestMirror: {backendRef: {name: mirror, port: 80}}
          backendRefs: [{name: echo, port: 80}]
        """);

    Http1.Response r = get("/copied");
    assertThat(r.status()).isEqualTo(200);
    assertThat(r.body()).isEqualTo("server /copied");
    assertThat(r.headers()).containsEntry("x-backend", "server");
    WaypointFixture.await(() -> f.mirrorBackend.sawPath("/copied"), "the mirrored request");
    assertThat(f.backend.sawPath("/copied")).isTrue();
  }

  @Test
  void aRequestTimeoutIsAnswered504() throws Exception {
    publish(
        """
        - matches: [{path: {type: PathPrefix, value: /slow/request}}]
          timeouts: {request: 1s}
          backendRefs: [{name: echo, port: 80}]
        - matches: [{path: {type: PathPrefix, value: /slow/backend}}]
          timeouts: {backendRequest: 1s}
          backendRefs: [{name: echo, port: 80}]
        - backendRefs: [{name: echo, port: 80}]
        """);

    Http1.Response request = get("/slow/request");
    assertThat(request.status()).isEqualTo(504);
    assertThat(f.backend.sawPath("/slow/request")).as("it did reach the backend").isTrue();
    assertThat(get("/slow/backend").status()).isEqualTo(504);
    assertThat(get("/fast").status()).isEqualTo(200);
  }

  @Test
  void anInvalidBackendGets500ForItsShare() throws Exception {
    HTTPRoute route =
        Serialization.unmarshal(
            """
            apiVersion: gateway.networking.k8s.io/v1
            kind: HTTPRoute
            metadata: {name: r, namespace: default}
            spec:
              parentRefs: [{group: "", kind: Service, name: echo}]
              rules:
              - matches: [{path: {type: PathPrefix, value: /invalid}}]
                backendRefs: [{name: missing, port: 80}]
              - matches: [{path: {type: PathPrefix, value: /split}}]
                backendRefs: [{name: echo, port: 80, weight: 50}, {name: missing, port: 80, weight: 50}]
              - matches: [{path: {type: PathPrefix, value: /zero}}]
                backendRefs: [{name: echo, port: 80, weight: 0}]
            """,
            HTTPRoute.class);
    RouteTables.Result result = RouteTables.translate(List.of(route), f.state, "cluster.local");
    assertThat(result.problems())
        .extracting(RouteProblem::field)
        .containsExactly("spec.rules[0].backendRefs[0]", "spec.rules[1].backendRefs[1]");
    f.publishAndWait(f.resources(f.model(result.tables())));

    assertThat(get("/invalid").status()).isEqualTo(500);
    assertThat(get("/zero").status()).isEqualTo(500);
    // 50/50: both answers show up (all 40 alike has probability 2^-39).
    Socket s = f.connect(f.vip, 80);
    int ok = 0;
    int failed = 0;
    for (int i = 0; i < 40; i++) {
      int status = Http1.get(s, "echo", "/split/" + i).status();
      if (status == 200) {
        ok++;
      } else if (status == 500) {
        failed++;
      }
    }
    assertThat(ok).isPositive();
    assertThat(failed).isPositive();
    assertThat(ok + failed).isEqualTo(40);
  }
}
