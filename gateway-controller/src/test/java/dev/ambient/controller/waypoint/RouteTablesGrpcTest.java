package dev.ambient.controller.waypoint;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ambient.api.config.MeshConfigLoader;
import dev.ambient.api.model.MeshState;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.GRPCRoute;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPRoute;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.util.List;
import org.junit.jupiter.api.Test;

/** GRPCRoutes with Service parents into the waypoint's route tables (GEP-1016, GEP-1294). */
class RouteTablesGrpcTest {
  private static final String MESH =
      """
      workloads:
      - {name: waypoint, namespace: mesh, node: n, addresses: [10.0.0.9], labels: {app: waypoint}}
      - {name: v1, namespace: mesh, node: n, addresses: [10.0.0.1], labels: {app: echo, version: v1}}
      - {name: v2, namespace: mesh, node: n, addresses: [10.0.0.2], labels: {app: echo, version: v2}}
      services:
      - {name: waypoint, namespace: mesh, vips: [10.1.0.9], ports: [{port: 15008}], endpoints: {app: waypoint}}
      - name: echo
        namespace: mesh
        vips: [10.1.0.1]
        ports: [{port: 7070, name: grpc, appProtocol: grpc}, {port: 80, name: http}]
        endpoints: {app: echo}
        waypoint: {service: mesh/waypoint.mesh.svc.cluster.local}
      - {name: echo-v1, namespace: mesh, vips: [10.1.0.2], ports: [{port: 7070}], endpoints: {version: v1}}
      - {name: echo-v2, namespace: mesh, vips: [10.1.0.3], ports: [{port: 7070}], endpoints: {version: v2}}
      - {name: mirror, namespace: mesh, vips: [10.1.0.4], ports: [{port: 7070}], endpoints: {version: v1}}
      """;

  private static final BackendRef ECHO = new BackendRef("mesh/echo.mesh.svc.cluster.local", 7070);
  private static final BackendRef ECHO_80 = new BackendRef("mesh/echo.mesh.svc.cluster.local", 80);
  private static final BackendRef V1 = new BackendRef("mesh/echo-v1.mesh.svc.cluster.local", 7070);
  private static final BackendRef V2 = new BackendRef("mesh/echo-v2.mesh.svc.cluster.local", 7070);
  private static final BackendRef MIRROR =
      new BackendRef("mesh/mirror.mesh.svc.cluster.local", 7070);

  private static MeshState state() throws Exception {
    return MeshState.of(MeshConfigLoader.parse(MESH, "test"), 1);
  }

  /** A GRPCRoute {@code name} in {@code mesh}, created then, on echo:7070, with these rules. */
  static GRPCRoute grpc(String name, String created, String rulesYaml) {
    return Serialization.unmarshal(
        """
        apiVersion: gateway.networking.k8s.io/v1
        kind: GRPCRoute
        metadata: {name: %s, namespace: mesh, creationTimestamp: "%s"}
        spec:
          parentRefs: [{group: "", kind: Service, name: echo, port: 7070}]
          rules:
        """
                .formatted(name, created)
            + rulesYaml.indent(4),
        GRPCRoute.class);
  }

  private static GRPCRoute grpc(String rulesYaml) {
    return grpc("g", "2026-11-01T00:00:00Z", rulesYaml);
  }

  private static RouteTables.Result translate(List<HTTPRoute> http, GRPCRoute... routes)
      throws Exception {
    return RouteTables.translate(http, List.of(routes), state(), "cluster.local");
  }

  private static RouteTables.Result translate(GRPCRoute... routes) throws Exception {
    return translate(List.of(), routes);
  }

  @Test
  void conformanceWeightSplitKeepsSeventyThirtyAndDropsTheMissingZeroWeightBackend()
      throws Exception {
    RouteTables.Result result =
        translate(
            grpc(
                """
                - backendRefs:
                  - {name: echo-v1, port: 7070, weight: 70}
                  - {name: echo-v2, port: 7070, weight: 30}
                  - {name: echo-v3, port: 7070, weight: 0}
                """));

    assertThat(result.tables()).containsOnlyKeys(ECHO);
    RouteRule rule = result.tables().get(ECHO).get(0);
    assertThat(result.tables().get(ECHO)).hasSize(1);
    assertThat(rule.path()).isEqualTo(PathMatch.any());
    assertThat(rule.backends())
        .containsExactly(new WeightedBackend(V1, 70), new WeightedBackend(V2, 30));
    assertThat(result.problems()).isEmpty();
  }

  @Test
  void aMissingBackendWithWeightKeepsItsShareAsAnInvalidBackend() throws Exception {
    RouteTables.Result result =
        translate(
            grpc(
                """
                - backendRefs:
                  - {name: echo-v1, port: 7070, weight: 1}
                  - {name: echo-v3, port: 7070, weight: 1}
                """));

    assertThat(result.tables().get(ECHO).get(0).backends())
        .containsExactly(new WeightedBackend(V1, 1), WeightedBackend.invalid(1));
    assertThat(result.problems())
        .singleElement()
        .satisfies(
            p -> {
              assertThat(p.kind()).isEqualTo("GRPCRoute");
              assertThat(p.route()).isEqualTo("mesh/g");
              assertThat(p.field()).isEqualTo("spec.rules[0].backendRefs[1]");
              assertThat(p.toString()).startsWith("GRPCRoute mesh/g: ");
            });
  }

  @Test
  void methodMatchKindsBecomePathMatches() throws Exception {
    RouteTables.Result result =
        translate(
            grpc(
                """
                - matches:
                  - method: {service: pkg.Echo, method: Call}
                  - method: {service: pkg.Echo}
                  - method: {method: Call}
                  - method: {type: RegularExpression, service: "pkg\\\\..*", method: "Call|Ping"}
                  - method: {type: RegularExpression, method: "C.*"}
                  - headers: [{name: x-id, value: "1"}]
                  backendRefs: [{name: echo-v1, port: 7070}]
                """));

    List<PathMatch> paths =
        result.tables().get(ECHO).stream()
            .sorted(java.util.Comparator.comparing(RouteRule::name))
            .map(RouteRule::path)
            .toList();
    assertThat(paths)
        .containsExactly(
            PathMatch.exact("/pkg.Echo/Call"),
            PathMatch.prefix("/pkg.Echo/"),
            PathMatch.regex("/[^/]+/Call"),
            PathMatch.regex("/(?:pkg\\..*)/(?:Call|Ping)"),
            PathMatch.regex("/[^/]+/(?:C.*)"),
            PathMatch.any());
    assertThat(result.tables().get(ECHO).get(0).name()).startsWith("grpc:mesh.g.0.");
    assertThat(result.problems()).isEmpty();
  }

  @Test
  void headerMatchesExactAndRegex() throws Exception {
    RouteTables.Result result =
        translate(
            grpc(
                """
                - matches:
                  - headers:
                    - {name: X-Version, value: v2}
                    - {type: RegularExpression, name: x-tenant, value: "a.*"}
                  backendRefs: [{name: echo-v2, port: 7070}]
                """));

    assertThat(result.tables().get(ECHO).get(0).headers())
        .containsExactly(
            HeaderMatch.exact("x-version", "v2"), new HeaderMatch("x-tenant", "a.*", true));
  }

  @Test
  void filtersOnRulesAndBackends() throws Exception {
    RouteTables.Result result =
        translate(
            grpc(
                """
                - filters:
                  - type: RequestHeaderModifier
                    requestHeaderModifier: {set: [{name: x-a, value: "1"}], remove: [x-b]}
                  - type: ResponseHeaderModifier
                    responseHeaderModifier: {add: [{name: x-c, value: "2"}]}
                  - type: RequestMirror
                    requestMirror: {backendRef: {name: mirror, port: 7070}}
                  backendRefs:
                  - name: echo-v1
                    port: 7070
                    filters:
                    - type: RequestHeaderModifier
                      requestHeaderModifier: {set: [{name: x-backend, value: v1}]}
                """));

    RouteRule rule = result.tables().get(ECHO).get(0);
    assertThat(rule.requestHeaders().set()).containsEntry("x-a", "1");
    assertThat(rule.requestHeaders().remove()).containsExactly("x-b");
    assertThat(rule.responseHeaders().add()).containsEntry("x-c", "2");
    assertThat(rule.mirrors()).extracting(Mirror::ref).containsExactly(MIRROR);
    assertThat(rule.backends())
        .singleElement()
        .satisfies(
            b -> {
              assertThat(b.ref()).isEqualTo(V1);
              assertThat(b.requestHeaders().set()).containsEntry("x-backend", "v1");
            });
    assertThat(result.problems()).isEmpty();
  }

  @Test
  void anExtensionRefFilterFailsClosed() throws Exception {
    RouteTables.Result result =
        translate(
            grpc(
                """
                - filters:
                  - type: ExtensionRef
                    extensionRef: {group: example.com, kind: Thing, name: t}
                  backendRefs: [{name: echo-v1, port: 7070}]
                """));

    assertThat(result.tables().get(ECHO).get(0).hasTraffic()).isFalse();
    assertThat(result.problems())
        .singleElement()
        .satisfies(p -> assertThat(p.field()).isEqualTo("spec.rules[0].filters[0]"));
  }

  @Test
  void precedenceIsServiceThenMethodThenHeadersThenAgeThenName() throws Exception {
    GRPCRoute older =
        grpc(
            "older",
            "2026-10-01T00:00:00Z",
            """
            - matches: [{method: {service: pkg.Echo}}]
              backendRefs: [{name: echo-v1, port: 7070}]
            """);
    GRPCRoute newer =
        grpc(
            "newer",
            "2026-11-01T00:00:00Z",
            """
            - matches: [{method: {service: pkg.Echo}}]
              backendRefs: [{name: echo-v2, port: 7070}]
            - matches: [{method: {service: pkg.Echo, method: Call}}]
              backendRefs: [{name: echo-v2, port: 7070}]
            - matches: [{method: {service: pkg.LongerEcho}}]
              backendRefs: [{name: echo-v2, port: 7070}]
            - matches: [{method: {service: pkg.Echo}, headers: [{name: x, value: y}]}]
              backendRefs: [{name: echo-v2, port: 7070}]
            - matches: [{method: {method: Call}}]
              backendRefs: [{name: echo-v2, port: 7070}]
            """);
    GRPCRoute sameAgeB =
        grpc(
            "b",
            "2026-11-01T00:00:00Z",
            """
            - matches: [{method: {method: Call}}]
              backendRefs: [{name: echo-v2, port: 7070}]
            """);

    List<String> order =
        translate(sameAgeB, newer, older).tables().get(ECHO).stream().map(RouteRule::name).toList();

    assertThat(order)
        .containsExactly(
            "grpc:mesh.newer.2.0", // longest service
            "grpc:mesh.newer.1.0", // pkg.Echo with a method
            "grpc:mesh.newer.3.0", // pkg.Echo with a header
            "grpc:mesh.older.0.0", // pkg.Echo, older
            "grpc:mesh.newer.0.0",
            "grpc:mesh.b.0.0", // method only, same age: by name
            "grpc:mesh.newer.4.0");
  }

  @Test
  void aGrpcRouteWinsThePortOverAnHttpRouteThere() throws Exception {
    HTTPRoute http =
        Serialization.unmarshal(
            """
            apiVersion: gateway.networking.k8s.io/v1
            kind: HTTPRoute
            metadata: {name: h, namespace: mesh, creationTimestamp: "2026-01-01T00:00:00Z"}
            spec:
              parentRefs:
              - {group: "", kind: Service, name: echo, port: 7070}
              - {group: "", kind: Service, name: echo}
              rules:
              - backendRefs: [{name: echo-v2, port: 7070}]
            """,
            HTTPRoute.class);
    RouteTables.Result result =
        translate(
            List.of(http),
            grpc(
                """
                - backendRefs: [{name: echo-v1, port: 7070}]
                """));

    assertThat(result.tables().get(ECHO))
        .singleElement()
        .satisfies(r -> assertThat(r.name()).isEqualTo("grpc:mesh.g.0.0"));
    // Port 80 has no GRPCRoute: the HTTPRoute's second parent still applies there.
    assertThat(result.tables().get(ECHO_80))
        .singleElement()
        .satisfies(r -> assertThat(r.name()).isEqualTo("mesh.h.0.0"));
    assertThat(result.conflicted("mesh/h", 0)).isTrue();
    assertThat(result.conflicted("mesh/h", 1)).isFalse();
    assertThat(result.conflicts())
        .filteredOn(c -> c.parentIndex() == 1)
        .singleElement()
        .satisfies(c -> assertThat(c.ports()).containsExactly(ECHO));
  }

  @Test
  void badMethodMatchesLeaveTheRuleOutNamingTheField() throws Exception {
    RouteTables.Result result =
        translate(
            grpc(
                """
                - matches: [{method: {type: RegularExpression, service: "(?=a)b", method: Call}}]
                  backendRefs: [{name: echo-v1, port: 7070}]
                - matches:
                  - method: {service: pkg.Echo}
                  - method: {type: Exact, method: ""}
                  backendRefs: [{name: echo-v1, port: 7070}]
                - matches: [{method: {service: "pkg/Echo", method: Call}}]
                  backendRefs: [{name: echo-v1, port: 7070}]
                - matches: [{method: {type: Prefix, service: pkg.Echo}}]
                  backendRefs: [{name: echo-v1, port: 7070}]
                - matches: [{headers: [{type: RegularExpression, name: x, value: "a\\\\1"}]}]
                  backendRefs: [{name: echo-v1, port: 7070}]
                - filters: [{type: RequestRedirect}]
                  backendRefs: [{name: echo-v1, port: 7070}]
                - matches: [{method: {service: pkg.Good}}]
                  backendRefs: [{name: echo-v1, port: 7070}]
                """));

    assertThat(result.problems())
        .extracting(RouteProblem::field)
        .containsExactly(
            "spec.rules[0].matches[0].method.service",
            "spec.rules[1].matches[1].method",
            "spec.rules[2].matches[0].method.service",
            "spec.rules[3].matches[0].method.type",
            "spec.rules[4].matches[0].headers[0].value",
            "spec.rules[5].filters[0].type");
    assertThat(result.problems())
        .allSatisfy(
            p -> {
              assertThat(p.route()).isEqualTo("mesh/g");
              assertThat(p.kind()).isEqualTo("GRPCRoute");
              assertThat(p.reason()).startsWith("rule left out: ");
            });
    // Only the good rule is left.
    assertThat(result.tables().get(ECHO))
        .singleElement()
        .satisfies(r -> assertThat(r.path()).isEqualTo(PathMatch.prefix("/pkg.Good/")));
  }

  @Test
  void aGrpcRouteWithoutRulesOrSpecIsHarmless() throws Exception {
    GRPCRoute empty = grpc("[]");
    GRPCRoute noSpec =
        Serialization.unmarshal(
            """
            apiVersion: gateway.networking.k8s.io/v1
            kind: GRPCRoute
            metadata: {name: n, namespace: mesh}
            """,
            GRPCRoute.class);

    RouteTables.Result result = translate(empty, noSpec);

    assertThat(result.tables().get(ECHO)).isEmpty(); // bound: unmatched requests get 404
    assertThat(result.problems()).isEmpty();
  }
}
