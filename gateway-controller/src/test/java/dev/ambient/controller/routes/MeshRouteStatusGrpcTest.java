package dev.ambient.controller.routes;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ambient.controller.waypoint.RouteProblem;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.GRPCRoute;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPRoute;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.RouteParentStatus;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** GRPCRoute parents' status, and HTTPRoutes that lose their Service port to a GRPCRoute. */
class MeshRouteStatusGrpcTest {
  private static final Instant T0 = Instant.parse("2026-11-22T10:00:00Z");

  private static Service service(String name, int port) {
    return new ServiceBuilder()
        .withNewMetadata()
        .withNamespace("mesh")
        .withName(name)
        .endMetadata()
        .withNewSpec()
        .withClusterIP("10.96.0.30")
        .addNewPort()
        .withPort(port)
        .withName("grpc")
        .endPort()
        .endSpec()
        .build();
  }

  private static final Map<String, Service> SERVICES =
      Map.of(
          "mesh/echo", service("echo", 7070),
          "mesh/echo-v1", service("echo-v1", 7070),
          "mesh/echo-v2", service("echo-v2", 7070));

  private static final String WEIGHTS =
      """
      apiVersion: gateway.networking.k8s.io/v1
      kind: GRPCRoute
      metadata: {name: weighted, namespace: mesh, generation: 2}
      spec:
        parentRefs:
        - {group: "", kind: Service, name: echo, port: 7070}
        - {group: "", kind: Service, name: echo, port: 7071}
        rules:
        - backendRefs:
          - {name: echo-v1, port: 7070, weight: 70}
          - {name: echo-v2, port: 7070, weight: 30}
          - {name: echo-v3, port: 7070, weight: 0}
      """;

  private static Condition condition(RouteParentStatus p, String type) {
    return p.getConditions().stream()
        .filter(c -> c.getType().equals(type))
        .findFirst()
        .orElseThrow();
  }

  @Test
  void grpcRouteParentsAreAcceptedOrNoMatchingParentAndMissingBackendsFailResolvedRefs() {
    GRPCRoute route = Serialization.unmarshal(WEIGHTS, GRPCRoute.class);

    List<RouteParentStatus> parents = MeshRouteStatus.parents(route, SERVICES::get, List.of(), T0);

    assertThat(parents).hasSize(2);
    RouteParentStatus good = parents.get(0);
    assertThat(good.getControllerName()).isEqualTo(MeshRouteStatus.CONTROLLER_NAME);
    assertThat(good.getParentRef().getPort()).isEqualTo(7070);
    assertThat(condition(good, "Accepted").getStatus()).isEqualTo("True");
    assertThat(condition(good, "Accepted").getObservedGeneration()).isEqualTo(2L);
    assertThat(condition(good, "ResolvedRefs").getReason()).isEqualTo("BackendNotFound");
    assertThat(condition(good, "ResolvedRefs").getMessage())
        .contains("spec.rules[0].backendRefs[2]");
    assertThat(condition(parents.get(1), "Accepted").getReason()).isEqualTo("NoMatchingParent");
  }

  @Test
  void droppedGrpcRulesMakePartiallyInvalid() {
    GRPCRoute route = Serialization.unmarshal(WEIGHTS, GRPCRoute.class);
    RouteProblem dropped =
        new RouteProblem(
            "mesh/weighted",
            "spec.rules[0].matches[0].method",
            "rule left out: at least one of service and method must be set",
            RouteProblem.GRPC_ROUTE);

    RouteParentStatus p =
        MeshRouteStatus.parents(route, SERVICES::get, List.of(dropped), T0).get(0);

    assertThat(condition(p, "PartiallyInvalid").getMessage())
        .startsWith("Dropped Rule")
        .contains("spec.rules[0].matches[0].method");
  }

  @Test
  void anHttpRouteParentThatLostItsPortToAGrpcRouteIsConflicted() {
    HTTPRoute route =
        Serialization.unmarshal(
            """
            apiVersion: gateway.networking.k8s.io/v1
            kind: HTTPRoute
            metadata: {name: h, namespace: mesh, generation: 1}
            spec:
              parentRefs:
              - {group: "", kind: Service, name: echo, port: 7070}
              rules:
              - backendRefs: [{name: echo-v1, port: 7070}]
            """,
            HTTPRoute.class);

    Condition conflicted =
        condition(
            MeshRouteStatus.parents(route, SERVICES::get, List.of(), i -> i == 0, T0).get(0),
            "Accepted");
    Condition accepted =
        condition(
            MeshRouteStatus.parents(route, SERVICES::get, List.of(), i -> false, T0).get(0),
            "Accepted");

    assertThat(conflicted.getStatus()).isEqualTo("False");
    assertThat(conflicted.getReason()).isEqualTo("Conflicted");
    assertThat(accepted.getStatus()).isEqualTo("True");
  }
}
