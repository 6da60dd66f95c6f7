package dev.ambient.controller.waypoint;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ambient.api.config.MeshConfigLoader;
import dev.ambient.api.model.MeshState;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPRoute;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPRouteBuilder;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPRouteRuleBuilder;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** HTTPRoutes with Service parents into the waypoint's route tables. */
class RouteTablesTest {
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
        ports: [{port: 80, targetPort: 8080}, {port: 81, targetPort: 8081}]
        endpoints: {app: echo}
        waypoint: {service: mesh/waypoint.mesh.svc.cluster.local}
      - {name: echo-v1, namespace: mesh, vips: [10.1.0.2], ports: [{port: 8080}], endpoints: {version: v1}}
      - {name: echo-v2, namespace: mesh, vips: [10.1.0.3], ports: [{port: 8080}], endpoints: {version: v2}}
      """;

  private static MeshState state() throws Exception {
    return MeshState.of(MeshConfigLoader.parse(MESH, "test"), 1);
  }

  private static HTTPRouteBuilder route(String name, String created, Integer parentPort) {
    return new HTTPRouteBuilder()
        .withNewMetadata()
        .withNamespace("mesh")
        .withName(name)
        .withCreationTimestamp(created)
        .endMetadata()
        .withNewSpec()
        .addNewParentRef()
        .withGroup("")
        .withKind("Service")
        .withName("echo")
        .withPort(parentPort)
        .endParentRef()
        .endSpec();
  }

  private static final BackendRef ECHO_80 = new BackendRef("mesh/echo.mesh.svc.cluster.local", 80);
  private static final BackendRef ECHO_81 = new BackendRef("mesh/echo.mesh.svc.cluster.local", 81);
  private static final BackendRef V1 = new BackendRef("mesh/echo-v1.mesh.svc.cluster.local", 8080);
  private static final BackendRef V2 = new BackendRef("mesh/echo-v2.mesh.svc.cluster.local", 8080);

  @Test
  void headerSplitWeightsAndHeaderSetBecomeOrderedRules() throws Exception {
    HTTPRoute split =
        route("split", "2026-11-01T00:00:00Z", 80)
            .editSpec()
            .addToRules(
                new HTTPRouteRuleBuilder()
                    .addNewMatch()
                    .addNewHeader()
                    .withName("Version")
                    .withValue("v2")
                    .endHeader()
                    .endMatch()
                    .addNewBackendRef()
                    .withName("echo-v2")
                    .withPort(8080)
                    .endBackendRef()
                    .build(),
                new HTTPRouteRuleBuilder()
                    .addNewFilter()
                    .withType("RequestHeaderModifier")
                    .withNewRequestHeaderModifier()
                    .addNewSet()
                    .withName("x-mesh")
                    .withValue("waypoint")
                    .endSet()
                    .endRequestHeaderModifier()
                    .endFilter()
                    .addNewBackendRef()
                    .withName("echo-v1")
                    .withPort(8080)
                    .withWeight(70)
                    .endBackendRef()
                    .addNewBackendRef()
                    .withName("echo-v2")
                    .withPort(8080)
                    .withWeight(30)
                    .endBackendRef()
                    .build())
            .endSpec()
            .build();
    Map<BackendRef, List<RouteRule>> tables =
        RouteTables.build(List.of(split), state(), "cluster.local");
    assertThat(tables).containsOnlyKeys(ECHO_80); // port 80 only: port 81 keeps its default
    List<RouteRule> rules = tables.get(ECHO_80);
    assertThat(rules).hasSize(2);
    assertThat(rules.get(0).headers()).containsExactly(HeaderMatch.exact("version", "v2"));
    assertThat(rules.get(0).backends()).containsExactly(new WeightedBackend(V2, 1));
    assertThat(rules.get(1).path()).isEqualTo(PathMatch.any());
    assertThat(rules.get(1).backends())
        .containsExactly(new WeightedBackend(V1, 70), new WeightedBackend(V2, 30));
    assertThat(rules.get(1).requestHeaders().set()).containsEntry("x-mesh", "waypoint");

    WaypointModel model =
        WaypointTranslator.translate(
            state(), "Kubernetes//Pod/mesh/waypoint", (s, p) -> ServiceProtocol.HTTP, tables);
    ServiceListener echo80 =
        model.listeners().stream().filter(l -> l.port() == 80).findFirst().orElseThrow();
    ServiceListener echo81 =
        model.listeners().stream().filter(l -> l.port() == 81).findFirst().orElseThrow();
    assertThat(echo80.routes()).isEqualTo(rules);
    assertThat(echo81.routes()).containsExactly(RouteRule.toSelf(ECHO_81));
    // The routes' backends get clusters with their endpoints.
    assertThat(model.backends())
        .filteredOn(b -> b.ref().equals(V2))
        .singleElement()
        .satisfies(b -> assertThat(b.endpoints()).hasSize(1));
  }

  @Test
  void precedenceFollowsTheGatewayApiAcrossRoutes() throws Exception {
    HTTPRoute older =
        route("older", "2026-11-01T00:00:00Z", null)
            .editSpec()
            .addNewRule()
            .addNewMatch()
            .withNewPath()
            .withType("PathPrefix")
            .withValue("/")
            .endPath()
            .endMatch()
            .addNewBackendRef()
            .withName("echo-v1")
            .withPort(8080)
            .endBackendRef()
            .endRule()
            .addNewRule()
            .addNewMatch()
            .withNewPath()
            .withType("PathPrefix")
            .withValue("/api")
            .endPath()
            .endMatch()
            .addNewBackendRef()
            .withName("echo-v1")
            .withPort(8080)
            .endBackendRef()
            .endRule()
            .endSpec()
            .build();
    HTTPRoute newer =
        route("newer", "2026-11-02T00:00:00Z", null)
            .editSpec()
            .addNewRule()
            .addNewMatch()
            .withNewPath()
            .withType("Exact")
            .withValue("/api/x")
            .endPath()
            .endMatch()
            .addNewMatch()
            .withNewPath()
            .withType("PathPrefix")
            .withValue("/api")
            .endPath()
            .withMethod("POST")
            .endMatch()
            .addNewMatch()
            .withNewPath()
            .withType("PathPrefix")
            .withValue("/api")
            .endPath()
            .addNewQueryParam()
            .withName("debug")
            .withValue("1")
            .endQueryParam()
            .endMatch()
            .addNewBackendRef()
            .withName("echo-v2")
            .withPort(8080)
            .endBackendRef()
            .endRule()
            .endSpec()
            .build();
    List<RouteRule> rules =
        RouteTables.build(List.of(newer, older), state(), "cluster.local").get(ECHO_80);
    assertThat(rules)
        .extracting(RouteRule::name)
        .containsExactly(
            "mesh.newer.0.0", // Exact first
            "mesh.newer.0.1", // /api with a method beats /api without
            "mesh.newer.0.2", // /api with a query parameter beats /api without
            "mesh.older.1.0", // then /api
            "mesh.older.0.0"); // the catch-all last
  }

  @Test
  void parentsThatDoNotResolveBindNothing() throws Exception {
    HTTPRoute wrongPort =
        route("wrong", "2026-11-01T00:00:00Z", 99)
            .editSpec()
            .addNewRule()
            .addNewBackendRef()
            .withName("echo-v1")
            .withPort(8080)
            .endBackendRef()
            .endRule()
            .endSpec()
            .build();
    HTTPRoute missing =
        route("missing", "2026-11-01T00:00:00Z", null)
            .editSpec()
            .editFirstParentRef()
            .withName("nope")
            .endParentRef()
            .addNewRule()
            .addNewBackendRef()
            .withName("echo-v1")
            .withPort(8080)
            .endBackendRef()
            .endRule()
            .endSpec()
            .build();
    assertThat(RouteTables.build(List.of(wrongPort, missing), state(), "cluster.local")).isEmpty();
  }

  /** A route in another namespace than its parent Service, with one rule to {@code backend}. */
  private static HTTPRoute consumerRoute(String ns, String name, String path, String backend) {
    return new HTTPRouteBuilder()
        .withNewMetadata()
        .withNamespace(ns)
        .withName(name)
        .withCreationTimestamp("2026-11-01T00:00:00Z")
        .endMetadata()
        .withNewSpec()
        .addNewParentRef()
        .withGroup("")
        .withKind("Service")
        .withNamespace("mesh")
        .withName("echo")
        .withPort(80)
        .endParentRef()
        .addToRules(
            new HTTPRouteRuleBuilder()
                .addNewMatch()
                .withNewPath()
                .withType("PathPrefix")
                .withValue(path)
                .endPath()
                .endMatch()
                .addNewBackendRef()
                .withNamespace("mesh")
                .withName(backend)
                .withPort(8080)
                .endBackendRef()
                .build())
        .endSpec()
        .build();
  }

  @Test
  void consumerRoutesComeFirstPerNamespaceAndApplyOnlyToThatNamespacesClients() throws Exception {
    HTTPRoute producer =
        route("producer", "2026-11-01T00:00:00Z", 80)
            .editSpec()
            .addToRules(
                new HTTPRouteRuleBuilder()
                    .addNewBackendRef()
                    .withName("echo-v1")
                    .withPort(8080)
                    .endBackendRef()
                    .build())
            .endSpec()
            .build();
    // Two routes of namespace "shop" merge by precedence (longer prefix first); "zoo" is its own
    // group; the producer's rule comes last and has no namespace.
    List<RouteRule> table =
        RouteTables.build(
                List.of(
                    producer,
                    consumerRoute("zoo", "z", "/", "echo-v2"),
                    consumerRoute("shop", "short", "/a", "echo-v2"),
                    consumerRoute("shop", "long", "/a/b", "echo-v1")),
                state(),
                "cluster.local")
            .get(ECHO_80);

    assertThat(table)
        .extracting(RouteRule::name, RouteRule::sourceNamespace)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple("shop.long.0.0", "shop"),
            org.assertj.core.groups.Tuple.tuple("shop.short.0.0", "shop"),
            org.assertj.core.groups.Tuple.tuple("zoo.z.0.0", "zoo"),
            org.assertj.core.groups.Tuple.tuple("mesh.producer.0.0", null));
    assertThat(table.get(0).backends()).extracting(WeightedBackend::ref).containsExactly(V1);
  }

  @Test
  void withOnlyConsumerRoutesEveryoneElseStillReachesTheServiceItself() throws Exception {
    List<RouteRule> table =
        RouteTables.build(
                List.of(consumerRoute("shop", "c", "/", "echo-v2")), state(), "cluster.local")
            .get(ECHO_80);

    assertThat(table).hasSize(2);
    assertThat(table.get(0).sourceNamespace()).isEqualTo("shop");
    assertThat(table.get(1).sourceNamespace()).isNull();
    assertThat(table.get(1).backends()).extracting(WeightedBackend::ref).containsExactly(ECHO_80);
  }
}
