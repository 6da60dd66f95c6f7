package dev.ambient.controller.routes;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPRoute;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPRouteBuilder;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.RouteParentStatus;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.RouteParentStatusBuilder;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class MeshRouteStatusTest {
  private static final Instant T0 = Instant.parse("2026-11-22T10:00:00Z");
  private static final Instant T1 = Instant.parse("2026-11-22T11:00:00Z");

  private static Service service(String ns, String name, int port, String portName) {
    return new ServiceBuilder()
        .withNewMetadata()
        .withNamespace(ns)
        .withName(name)
        .endMetadata()
        .withNewSpec()
        .withClusterIP("10.96.0.30")
        .addNewPort()
        .withPort(port)
        .withName(portName)
        .endPort()
        .endSpec()
        .build();
  }

  private static final Map<String, Service> SERVICES =
      Map.of(
          "mesh/echo", service("mesh", "echo", 80, "http"),
          "mesh/echo-v1", service("mesh", "echo-v1", 8080, "http"),
          "other/remote", service("other", "remote", 80, "http"));

  private static HTTPRouteBuilder route() {
    return new HTTPRouteBuilder()
        .withNewMetadata()
        .withNamespace("mesh")
        .withName("r")
        .withGeneration(3L)
        .endMetadata()
        .withNewSpec()
        .addNewParentRef()
        .withGroup("")
        .withKind("Service")
        .withName("echo")
        .withPort(80)
        .endParentRef()
        .addNewRule()
        .addNewBackendRef()
        .withName("echo-v1")
        .withPort(8080)
        .endBackendRef()
        .endRule()
        .endSpec();
  }

  private static List<RouteParentStatus> parents(HTTPRoute r, Instant now) {
    return MeshRouteStatus.parents(r, SERVICES::get, now);
  }

  private static Condition condition(RouteParentStatus p, String type) {
    return p.getConditions().stream()
        .filter(c -> c.getType().equals(type))
        .findFirst()
        .orElseThrow();
  }

  @Test
  void aServiceParentWithAMatchingPortIsAcceptedAndEchoedExactly() {
    var parents = parents(route().build(), T0);
    assertThat(parents).hasSize(1);
    var p = parents.get(0);
    assertThat(p.getControllerName()).isEqualTo(MeshRouteStatus.CONTROLLER_NAME);
    assertThat(p.getParentRef().getGroup()).isEmpty();
    assertThat(p.getParentRef().getKind()).isEqualTo("Service");
    assertThat(p.getParentRef().getPort()).isEqualTo(80);
    assertThat(p.getParentRef().getNamespace()).isNull();
    assertThat(condition(p, "Accepted").getStatus()).isEqualTo("True");
    assertThat(condition(p, "Accepted").getReason()).isEqualTo("Accepted");
    assertThat(condition(p, "Accepted").getObservedGeneration()).isEqualTo(3L);
    assertThat(condition(p, "ResolvedRefs").getReason()).isEqualTo("ResolvedRefs");
  }

  @Test
  void aMissingServiceOrPortOrSectionIsNoMatchingParent() {
    var missing =
        route().editSpec().editFirstParentRef().withName("nope").endParentRef().endSpec().build();
    var wrongPort =
        route().editSpec().editFirstParentRef().withPort(81).endParentRef().endSpec().build();
    var wrongSection =
        route()
            .editSpec()
            .editFirstParentRef()
            .withPort(null)
            .withSectionName("grpc")
            .endParentRef()
            .endSpec()
            .build();
    for (HTTPRoute r : List.of(missing, wrongPort, wrongSection)) {
      var accepted = condition(parents(r, T0).get(0), "Accepted");
      assertThat(accepted.getStatus()).isEqualTo("False");
      assertThat(accepted.getReason()).isEqualTo("NoMatchingParent");
    }
    assertThat(condition(parents(wrongPort, T0).get(0), "Accepted").getMessage())
        .contains("no port 81");
  }

  @Test
  void backendsThatAreMissingOrNotServicesFailResolvedRefs() {
    var missing =
        route()
            .editSpec()
            .editFirstRule()
            .editFirstBackendRef()
            .withName("gone")
            .endBackendRef()
            .endRule()
            .endSpec()
            .build();
    var resolved = condition(parents(missing, T0).get(0), "ResolvedRefs");
    assertThat(resolved.getStatus()).isEqualTo("False");
    assertThat(resolved.getReason()).isEqualTo("BackendNotFound");
    assertThat(resolved.getMessage())
        .contains("spec.rules[0].backendRefs[0]")
        .contains("mesh/gone");

    var wrongKind =
        route()
            .editSpec()
            .editFirstRule()
            .editFirstBackendRef()
            .withGroup("example.com")
            .withKind("Bucket")
            .endBackendRef()
            .endRule()
            .endSpec()
            .build();
    assertThat(condition(parents(wrongKind, T0).get(0), "ResolvedRefs").getReason())
        .isEqualTo("InvalidKind");

    // Cross-namespace backends need no ReferenceGrant on mesh routes.
    var crossNamespace =
        route()
            .editSpec()
            .editFirstRule()
            .editFirstBackendRef()
            .withNamespace("other")
            .withName("remote")
            .endBackendRef()
            .endRule()
            .endSpec()
            .build();
    assertThat(condition(parents(crossNamespace, T0).get(0), "ResolvedRefs").getStatus())
        .isEqualTo("True");
  }

  @Test
  void otherControllersEntriesStayAndOursKeepTheirTransitionTimes() {
    var foreign =
        new RouteParentStatusBuilder()
            .withControllerName("example.com/gateway")
            .withNewParentRef()
            .withName("gw")
            .endParentRef()
            .build();
    var first = parents(route().withNewStatus().withParents(foreign).endStatus().build(), T0);
    assertThat(first).hasSize(2).first().isEqualTo(foreign);
    // The same verdict an hour later: nothing changes, so nothing needs writing.
    var again = parents(route().withNewStatus().withParents(first).endStatus().build(), T1);
    assertThat(again).isEqualTo(first);
    // A new verdict (the parent Service is deleted) moves that condition's transition time only.
    var changed =
        MeshRouteStatus.parents(
            route().withNewStatus().withParents(first).endStatus().build(),
            key -> key.equals("mesh/echo") ? null : SERVICES.get(key),
            T1);
    assertThat(condition(changed.get(1), "Accepted").getLastTransitionTime())
        .isEqualTo(T1.toString());
    assertThat(condition(changed.get(1), "ResolvedRefs").getLastTransitionTime())
        .isEqualTo(T0.toString());
  }

  @Test
  void gatewayParentsAndDuplicateServiceParentsAreNotOurs() {
    var r =
        route()
            .editSpec()
            .addNewParentRef()
            .withName("echo")
            .withKind("Service")
            .withGroup("")
            .withPort(80)
            .endParentRef()
            .addNewParentRef()
            .withName("my-gateway")
            .endParentRef()
            .endSpec()
            .build();
    assertThat(parents(r, T0)).hasSize(1);
  }

  @Test
  void rulesTheWaypointLeavesOutMakeTheRoutePartiallyInvalid() {
    var problems =
        List.of(
            new dev.ambient.controller.waypoint.RouteProblem(
                "mesh/r", "spec.rules[0].filters[0]", "rule left out: two URLRewrite filters"),
            new dev.ambient.controller.waypoint.RouteProblem(
                "mesh/r", "spec.rules[0].backendRefs[1]", "backend answers 500: no such Service"));

    var parents = MeshRouteStatus.parents(route().build(), SERVICES::get, problems, T0);

    Condition partial = condition(parents.get(0), "PartiallyInvalid");
    assertThat(partial.getStatus()).isEqualTo("True");
    assertThat(partial.getReason()).isEqualTo("UnsupportedValue");
    assertThat(partial.getMessage())
        .startsWith("Dropped Rule")
        .contains("spec.rules[0].filters[0]: rule left out: two URLRewrite filters")
        .doesNotContain("backendRefs[1]"); // unresolved backends belong to ResolvedRefs
    assertThat(partial.getObservedGeneration()).isEqualTo(3L);
    assertThat(condition(parents.get(0), "Accepted").getStatus()).isEqualTo("True");

    // Only unresolved backends, or nothing: no PartiallyInvalid condition at all.
    assertThat(
            MeshRouteStatus.parents(route().build(), SERVICES::get, problems.subList(1, 2), T0)
                .get(0)
                .getConditions())
        .extracting(Condition::getType)
        .containsExactly("Accepted", "ResolvedRefs");
  }
}
