package dev.ambient.controller.waypoint;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPRoute;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Producer and consumer routes (GEP-1294) in a real Envoy 1.40 waypoint: the choice between them is
 * made on the HBONE peer's certificate identity, not on anything in the request. The fixture's
 * client runs in namespace {@code default}; consumer rules for it (or for another namespace) are
 * made with {@link RouteRule#forClientsOf}, as {@link RouteTables} makes them for a route in
 * another namespace than its Service.
 */
@Tag("envoy")
class WaypointConsumerRoutesEnvoyTest extends WaypointEnvoyTestBase {
  private static final BackendRef ECHO =
      new BackendRef("default/echo.default.svc.cluster.local", 80);

  /** The rules of one route on Service echo, each setting {@code x-route: <tag>}. */
  private List<RouteRule> rules(String tag, String matchesYaml) {
    HTTPRoute route =
        TestRoutes.onEcho(
            "default",
            tag,
            """
            - matches: %s
              filters:
              - type: RequestHeaderModifier
                requestHeaderModifier: {set: [{name: x-route, value: %s}]}
              backendRefs: [{name: echo, port: 80}]
            """
                .formatted(matchesYaml, tag));
    RouteTables.Result result = RouteTables.translate(List.of(route), f.state, "cluster.local");
    assertThat(result.problems()).isEmpty();
    return result.tables().get(ECHO);
  }

  private static List<RouteRule> forClientsOf(String ns, List<RouteRule> rules) {
    return rules.stream().map(r -> r.forClientsOf(ns)).toList();
  }

  private void publish(List<RouteRule> table) throws Exception {
    f.publishAndWait(f.resources(f.model(Map.of(ECHO, table))));
  }

  private Http1.Response get(String path) throws Exception {
    return Http1.get(f.connect(f.vip, 80), "echo.default.svc.cluster.local", path);
  }

  @Test
  void clientsOfANamespaceWithConsumerRoutesUseOnlyThose() throws Exception {
    List<RouteRule> table = new ArrayList<>();
    table.addAll(forClientsOf("default", rules("consumer", "[{path: {value: /shop}}]")));
    table.addAll(rules("producer", "[{path: {value: /}}]"));
    publish(table);

    assertThat(get("/shop/cart").status()).isEqualTo(200);
    assertThat(f.backend.last("/shop/cart").headers()).containsEntry("x-route", "consumer");
    // The producer's catch-all would match, but this client's namespace has consumer routes.
    assertThat(get("/elsewhere").status()).isEqualTo(404);
    assertThat(f.backend.last("/elsewhere")).isNull();
  }

  @Test
  void clientsOfOtherNamespacesUseTheProducerRoutes() throws Exception {
    List<RouteRule> table = new ArrayList<>();
    table.addAll(forClientsOf("shop", rules("consumer", "[{path: {value: /}}]")));
    table.addAll(rules("producer", "[{path: {value: /}}]"));
    publish(table);

    assertThat(get("/any").status()).isEqualTo(200);
    assertThat(f.backend.last("/any").headers()).containsEntry("x-route", "producer");
  }

  @Test
  void onlyConsumerRoutesOfAnotherNamespaceLeaveThisClientOnTheServiceItself() throws Exception {
    List<RouteRule> table = new ArrayList<>();
    table.addAll(forClientsOf("shop", rules("consumer", "[{path: {value: /}}]")));
    table.add(RouteRule.toSelf(ECHO));
    publish(table);

    assertThat(get("/plain").status()).isEqualTo(200);
    assertThat(f.backend.last("/plain").headers()).doesNotContainKey("x-route");
  }
}
