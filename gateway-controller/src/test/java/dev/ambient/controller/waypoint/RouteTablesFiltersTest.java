package dev.ambient.controller.waypoint;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ambient.api.config.MeshConfigLoader;
import dev.ambient.api.model.MeshState;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPRoute;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * HTTPRoute query matches, sectionName parents, filters, timeouts and invalid backends into the
 * waypoint model, and the problems reported for what is left out.
 */
class RouteTablesFiltersTest {
  private static final String MESH =
      """
      workloads:
      - {name: waypoint, namespace: mesh, node: n, addresses: [10.0.0.9], labels: {app: waypoint}}
      - {name: v1, namespace: mesh, node: n, addresses: [10.0.0.1], labels: {app: echo, version: v1}}
      services:
      - {name: waypoint, namespace: mesh, vips: [10.1.0.9], ports: [{port: 15008}], endpoints: {app: waypoint}}
      - name: echo
        namespace: mesh
        vips: [10.1.0.1]
        ports: [{port: 80, targetPort: 8080, name: http}, {port: 81, targetPort: 8081, name: admin}]
        endpoints: {app: echo}
        waypoint: {service: mesh/waypoint.mesh.svc.cluster.local}
      - {name: echo-v1, namespace: mesh, vips: [10.1.0.2], ports: [{port: 8080}], endpoints: {version: v1}}
      - {name: mirror, namespace: mesh, vips: [10.1.0.4], ports: [{port: 8080}], endpoints: {version: v1}}
      """;

  private static final BackendRef ECHO_80 = new BackendRef("mesh/echo.mesh.svc.cluster.local", 80);
  private static final BackendRef ECHO_81 = new BackendRef("mesh/echo.mesh.svc.cluster.local", 81);
  private static final BackendRef V1 = new BackendRef("mesh/echo-v1.mesh.svc.cluster.local", 8080);
  private static final BackendRef MIRROR =
      new BackendRef("mesh/mirror.mesh.svc.cluster.local", 8080);

  private static MeshState state() throws Exception {
    return MeshState.of(MeshConfigLoader.parse(MESH, "test"), 1);
  }

  /** An HTTPRoute named {@code r} in {@code mesh} on Service echo port 80 with these rules. */
  private static HTTPRoute route(String rulesYaml) {
    return Serialization.unmarshal(
        """
        apiVersion: gateway.networking.k8s.io/v1
        kind: HTTPRoute
        metadata: {name: r, namespace: mesh, creationTimestamp: "2026-11-01T00:00:00Z"}
        spec:
          parentRefs: [{group: "", kind: Service, name: echo, port: 80}]
          rules:
        """
            + rulesYaml.indent(4),
        HTTPRoute.class);
  }

  private static RouteTables.Result translate(HTTPRoute... routes) throws Exception {
    return RouteTables.translate(List.of(routes), state(), "cluster.local");
  }

  private static List<RouteRule> rules(RouteTables.Result result) {
    return result.tables().get(ECHO_80);
  }

  @Test
  void queryParameterMatchesAreKeptAndCountInPrecedence() throws Exception {
    RouteTables.Result result =
        translate(
            route(
                """
                - matches:
                  - path: {type: PathPrefix, value: /api}
                  backendRefs: [{name: echo-v1, port: 8080}]
                - matches:
                  - path: {type: PathPrefix, value: /api}
                    queryParams:
                    - {name: debug, value: "1"}
                    - {type: RegularExpression, name: user, value: "a.*"}
                  backendRefs: [{name: echo-v1, port: 8080}]
                """));
    assertThat(result.problems()).isEmpty();
    List<RouteRule> rules = rules(result);
    assertThat(rules).extracting(RouteRule::name).containsExactly("mesh.r.1.0", "mesh.r.0.0");
    assertThat(rules.get(0).queryParams())
        .containsExactly(QueryMatch.exact("debug", "1"), new QueryMatch("user", "a.*", true));
  }

  @Test
  void sectionNameBindsOnlyTheNamedPort() throws Exception {
    HTTPRoute named =
        Serialization.unmarshal(
            """
            apiVersion: gateway.networking.k8s.io/v1
            kind: HTTPRoute
            metadata: {name: named, namespace: mesh}
            spec:
              parentRefs: [{group: "", kind: Service, name: echo, sectionName: admin}]
              rules: [{backendRefs: [{name: echo-v1, port: 8080}]}]
            """,
            HTTPRoute.class);
    HTTPRoute unknown =
        Serialization.unmarshal(
            """
            apiVersion: gateway.networking.k8s.io/v1
            kind: HTTPRoute
            metadata: {name: unknown, namespace: mesh}
            spec:
              parentRefs: [{group: "", kind: Service, name: echo, sectionName: nope}]
              rules: [{backendRefs: [{name: echo-v1, port: 8080}]}]
            """,
            HTTPRoute.class);
    RouteTables.Result result = translate(named, unknown);
    assertThat(result.tables()).containsOnlyKeys(ECHO_81);
    assertThat(result.tables().get(ECHO_81))
        .extracting(RouteRule::name)
        .containsExactly("mesh.named.0.0");
  }

  @Test
  void responseHeadersMirrorsTimeoutsAndBackendFiltersBecomeTheRule() throws Exception {
    RouteTables.Result result =
        translate(
            route(
                """
                - filters:
                  - type: ResponseHeaderModifier
                    responseHeaderModifier:
                      set: [{name: X-Served-By, value: waypoint}]
                      add: [{name: x-extra, value: "1"}]
                      remove: [server]
                  - type: RequestMirror
                    requestMirror: {backendRef: {name: mirror, port: 8080}, percent: 25}
                  - type: RequestMirror
                    requestMirror:
                      backendRef: {name: mirror, port: 8080}
                      fraction: {numerator: 1, denominator: 3}
                  timeouts: {request: 1m30s, backendRequest: 500ms}
                  backendRefs:
                  - name: echo-v1
                    port: 8080
                    filters:
                    - type: RequestHeaderModifier
                      requestHeaderModifier: {set: [{name: x-backend, value: v1}]}
                    - type: ResponseHeaderModifier
                      responseHeaderModifier: {remove: [x-internal]}
                """));
    assertThat(result.problems()).isEmpty();
    RouteRule rule = rules(result).get(0);
    assertThat(rule.responseHeaders().set()).containsEntry("x-served-by", "waypoint");
    assertThat(rule.responseHeaders().add()).containsEntry("x-extra", "1");
    assertThat(rule.responseHeaders().remove()).containsExactly("server");
    assertThat(rule.mirrors())
        .containsExactly(new Mirror(MIRROR, 25, 100), new Mirror(MIRROR, 1, 3));
    assertThat(rule.timeouts())
        .isEqualTo(new RouteTimeouts(Duration.ofSeconds(90), Duration.ofMillis(500)));
    WeightedBackend b = rule.backends().get(0);
    assertThat(b.ref()).isEqualTo(V1);
    assertThat(b.requestHeaders().set()).containsEntry("x-backend", "v1");
    assertThat(b.responseHeaders().remove()).containsExactly("x-internal");
    // The mirror target gets a cluster with endpoints in the waypoint model.
    WaypointModel model =
        WaypointTranslator.translate(
            state(), "Kubernetes//Pod/mesh/waypoint", ProtocolPolicy.ALL_HTTP, result.tables());
    assertThat(model.backends()).extracting(Backend::ref).contains(MIRROR, V1);
  }

  @Test
  void noTimeoutsMeansNoRequestTimeout() throws Exception {
    RouteRule rule = rules(translate(route("- backendRefs: [{name: echo-v1, port: 8080}]"))).get(0);
    assertThat(rule.timeouts()).isEqualTo(RouteTimeouts.NONE);
  }

  @Test
  void redirectsTakeTheMatchedPrefixForReplacePrefixMatch() throws Exception {
    RouteTables.Result result =
        translate(
            route(
                """
                - matches: [{path: {type: PathPrefix, value: /old}}]
                  filters:
                  - type: RequestRedirect
                    requestRedirect:
                      scheme: https
                      hostname: example.com
                      port: 8443
                      statusCode: 301
                      path: {type: ReplacePrefixMatch, replacePrefixMatch: /new}
                - matches: [{path: {type: Exact, value: /moved}}]
                  filters:
                  - type: RequestRedirect
                    requestRedirect: {path: {type: ReplaceFullPath, replaceFullPath: /here}}
                """));
    assertThat(result.problems()).isEmpty();
    List<RouteRule> rules = rules(result);
    assertThat(rules.get(0).name()).isEqualTo("mesh.r.1.0");
    assertThat(rules.get(0).redirect())
        .isEqualTo(new Redirect(null, null, PathModifier.full("/here"), null, 302));
    assertThat(rules.get(1).redirect())
        .isEqualTo(
            new Redirect("https", "example.com", PathModifier.prefix("/old", "/new"), 8443, 301));
    assertThat(rules.get(1).backends()).isEmpty();
  }

  @Test
  void urlRewritesKeepTheirBackends() throws Exception {
    RouteRule rule =
        rules(
                translate(
                    route(
                        """
                        - matches: [{path: {type: PathPrefix, value: /api/}}]
                          filters:
                          - type: URLRewrite
                            urlRewrite:
                              hostname: backend.internal
                              path: {type: ReplacePrefixMatch, replacePrefixMatch: /}
                          backendRefs: [{name: echo-v1, port: 8080}]
                        """)))
            .get(0);
    assertThat(rule.rewrite())
        .isEqualTo(new UrlRewrite("backend.internal", PathModifier.prefix("/api/", "/")));
    assertThat(rule.backends()).containsExactly(new WeightedBackend(V1, 1));
  }

  @Test
  void invalidCombinationsLeaveTheRuleOutWithAReason() throws Exception {
    RouteTables.Result result =
        translate(
            route(
                """
                - matches: [{path: {type: PathPrefix, value: /a}}]
                  filters:
                  - type: RequestRedirect
                    requestRedirect: {hostname: example.com}
                  backendRefs: [{name: echo-v1, port: 8080}]
                - matches: [{path: {type: PathPrefix, value: /b}}]
                  filters:
                  - type: URLRewrite
                    urlRewrite: {hostname: one}
                  - type: URLRewrite
                    urlRewrite: {hostname: two}
                  backendRefs: [{name: echo-v1, port: 8080}]
                - matches: [{path: {type: Exact, value: /c}}]
                  filters:
                  - type: URLRewrite
                    urlRewrite: {path: {type: ReplacePrefixMatch, replacePrefixMatch: /x}}
                  backendRefs: [{name: echo-v1, port: 8080}]
                - matches: [{path: {type: PathPrefix, value: /d}}]
                  timeouts: {request: 1d}
                  backendRefs: [{name: echo-v1, port: 8080}]
                - matches: [{path: {type: PathPrefix, value: /e}}]
                  timeouts: {request: 1s, backendRequest: 2s}
                  backendRefs: [{name: nope, port: 8080}]
                - matches: [{path: {type: PathPrefix, value: /f}}]
                  filters:
                  - type: RequestHeaderModifier
                    requestHeaderModifier: {set: [{name: Host, value: evil}]}
                  backendRefs: [{name: echo-v1, port: 8080}]
                - matches: [{path: {type: PathPrefix, value: /ok}}]
                  backendRefs: [{name: echo-v1, port: 8080}]
                """));
    assertThat(rules(result)).extracting(RouteRule::name).containsExactly("mesh.r.6.0");
    assertThat(result.problems())
        .extracting(RouteProblem::route, RouteProblem::field)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple(
                "mesh/r", "spec.rules[0].filters[0].requestRedirect"),
            org.assertj.core.groups.Tuple.tuple("mesh/r", "spec.rules[1].filters[1]"),
            org.assertj.core.groups.Tuple.tuple(
                "mesh/r", "spec.rules[2].filters[0].urlRewrite.path"),
            org.assertj.core.groups.Tuple.tuple("mesh/r", "spec.rules[3].timeouts.request"),
            org.assertj.core.groups.Tuple.tuple("mesh/r", "spec.rules[4].timeouts.backendRequest"),
            org.assertj.core.groups.Tuple.tuple(
                "mesh/r", "spec.rules[5].filters[0].requestHeaderModifier.set[0].name"));
    assertThat(result.problems())
        .allSatisfy(p -> assertThat(p.reason()).startsWith("rule left out: "));
    assertThat(result.problems().get(0).reason()).contains("together with backendRefs");
    assertThat(result.problems().get(1).reason()).contains("second URLRewrite");
    assertThat(result.problems().get(3).reason()).contains("\"1d\" is not a Gateway API duration");
  }

  @Test
  void invalidBackendsKeepTheirWeightAndAnswer500() throws Exception {
    RouteTables.Result result =
        translate(
            route(
                """
                - matches: [{path: {type: PathPrefix, value: /split}}]
                  backendRefs:
                  - {name: echo-v1, port: 8080, weight: 50}
                  - {name: missing, port: 8080, weight: 50}
                  - {name: echo-v1, port: 9999, weight: 10}
                  - {group: example.com, kind: Bucket, name: b, weight: 10}
                  - {name: echo-v1, weight: 10}
                  - {name: echo-v1, port: 8080, weight: 0}
                - matches: [{path: {type: PathPrefix, value: /zero}}]
                  backendRefs: [{name: echo-v1, port: 8080, weight: 0}]
                - matches: [{path: {type: PathPrefix, value: /none}}]
                """));
    List<RouteRule> rules = rules(result);
    RouteRule split = rules.get(0);
    assertThat(split.name()).isEqualTo("mesh.r.0.0");
    assertThat(split.backends())
        .containsExactly(
            new WeightedBackend(V1, 50),
            WeightedBackend.invalid(50),
            WeightedBackend.invalid(10),
            WeightedBackend.invalid(10),
            WeightedBackend.invalid(10));
    assertThat(result.problems())
        .extracting(RouteProblem::field)
        .containsExactly(
            "spec.rules[0].backendRefs[1]",
            "spec.rules[0].backendRefs[2].port",
            "spec.rules[0].backendRefs[3]",
            "spec.rules[0].backendRefs[4].port");
    assertThat(result.problems().get(0).reason())
        .isEqualTo("backend answers 500: Service mesh/missing not found");
    assertThat(result.problems().get(2).reason()).contains("example.com/Bucket is not supported");
    // Weight 0 only, or no backendRefs: nothing gets traffic, the rule answers 500.
    assertThat(rules.get(1).hasTraffic()).isFalse();
    assertThat(rules.get(2).hasTraffic()).isFalse();
    // Invalid backends need no cluster.
    WaypointModel model =
        WaypointTranslator.translate(
            state(), "Kubernetes//Pod/mesh/waypoint", ProtocolPolicy.ALL_HTTP, result.tables());
    assertThat(model.backends()).extracting(Backend::ref).doesNotContainNull();
  }

  @Test
  void unsupportedFiltersFailClosedAndUnresolvedMirrorsAreLeftOut() throws Exception {
    RouteTables.Result result =
        translate(
            route(
                """
                - matches: [{path: {type: PathPrefix, value: /ext}}]
                  filters:
                  - type: ExtensionRef
                    extensionRef: {group: example.com, kind: Auth, name: a}
                  backendRefs: [{name: echo-v1, port: 8080}]
                - matches: [{path: {type: PathPrefix, value: /mirror}}]
                  filters:
                  - type: RequestMirror
                    requestMirror: {backendRef: {name: gone, port: 8080}}
                  backendRefs: [{name: echo-v1, port: 8080}]
                """));
    List<RouteRule> rules = rules(result);
    RouteRule ext = rules.stream().filter(r -> r.name().equals("mesh.r.0.0")).findFirst().get();
    assertThat(ext.backends()).isEmpty();
    assertThat(ext.hasTraffic()).isFalse();
    RouteRule mirror = rules.stream().filter(r -> r.name().equals("mesh.r.1.0")).findFirst().get();
    assertThat(mirror.mirrors()).isEmpty();
    assertThat(mirror.backends()).containsExactly(new WeightedBackend(V1, 1));
    assertThat(result.problems())
        .extracting(RouteProblem::field, RouteProblem::reason)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple(
                "spec.rules[0].filters[0]",
                "rule answers 500: filter type ExtensionRef is not supported by the waypoint"),
            org.assertj.core.groups.Tuple.tuple(
                "spec.rules[1].filters[0].requestMirror.backendRef",
                "mirror left out: Service mesh/gone not found"));
  }

  @Test
  void rulesWithRegexesEnvoyWouldRejectAreLeftOut() throws Exception {
    RouteTables.Result result =
        translate(
            route(
                """
                - matches: [{path: {type: RegularExpression, value: "/(unclosed"}}]
                  backendRefs: [{name: echo-v1, port: 8080}]
                - matches:
                  - headers: [{type: RegularExpression, name: x, value: "(?=look)ahead"}]
                  backendRefs: [{name: echo-v1, port: 8080}]
                - matches:
                  - queryParams: [{type: RegularExpression, name: q, value: '(a)\\1'}]
                  backendRefs: [{name: echo-v1, port: 8080}]
                - matches: [{path: {type: RegularExpression, value: "/[a-z+]+/(?<id>[0-9]*)"}}]
                  backendRefs: [{name: echo-v1, port: 8080}]
                """));
    assertThat(rules(result)).extracting(RouteRule::name).containsExactly("mesh.r.3.0");
    assertThat(result.problems())
        .extracting(RouteProblem::field)
        .containsExactly(
            "spec.rules[0].matches[0].path.value",
            "spec.rules[1].matches[0].headers[0].value",
            "spec.rules[2].matches[0].queryParams[0].value");
    assertThat(result.problems().get(1).reason()).contains("lookaround");
    assertThat(result.problems().get(2).reason()).contains("backreferences");
    assertThat(Re2Syntax.problem("a*+")).contains("possessive");
    assertThat(Re2Syntax.problem("(?>a)")).contains("atomic");
    assertThat(Re2Syntax.problem("[*+]+x\\d{2}(?<id>y)?")).isNull();
  }

  @Test
  void gatewayDurations() {
    assertThat(GatewayDuration.parse("0s")).isZero();
    assertThat(GatewayDuration.parse("1h30m30s500ms"))
        .isEqualTo(Duration.ofHours(1).plusMinutes(30).plusSeconds(30).plusMillis(500));
    assertThat(GatewayDuration.parse("00060m")).isEqualTo(Duration.ofHours(1));
    for (String bad : List.of("", "1", "1.5s", "-1s", "1d", "1us", "123456s", "1h1m1s1ms1h")) {
      assertThatThrownBy(() -> GatewayDuration.parse(bad))
          .as(bad)
          .isInstanceOf(IllegalArgumentException.class);
    }
  }
}
