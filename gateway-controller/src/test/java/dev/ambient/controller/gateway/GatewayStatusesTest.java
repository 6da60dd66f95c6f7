package dev.ambient.controller.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.Gateway;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.GatewayBuilder;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.GatewayClass;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.GatewayClassBuilder;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.GatewayStatus;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.ListenerStatus;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The pure status of waypoint Gateways and our GatewayClasses. */
class GatewayStatusesTest {
  private static final Instant T0 = Instant.parse("2026-11-22T10:00:00Z");
  private static final Instant T1 = Instant.parse("2026-11-22T10:05:00Z");

  static Gateway gateway(String protocol, int port) {
    return new GatewayBuilder()
        .withNewMetadata()
        .withName("waypoint")
        .withNamespace("app")
        .withUid("uid-1")
        .withGeneration(3L)
        .endMetadata()
        .withNewSpec()
        .withGatewayClassName("istio-waypoint")
        .addNewListener()
        .withName("mesh")
        .withProtocol(protocol)
        .withPort(port)
        .endListener()
        .endSpec()
        .build();
  }

  private static Service service(String ip) {
    return new ServiceBuilder()
        .withNewMetadata()
        .withName("waypoint")
        .withNamespace("app")
        .endMetadata()
        .withNewSpec()
        .withClusterIP(ip)
        .withClusterIPs(ip)
        .endSpec()
        .build();
  }

  private static Deployment deployment(int available) {
    return new DeploymentBuilder()
        .withNewMetadata()
        .withName("waypoint")
        .withNamespace("app")
        .endMetadata()
        .withNewStatus()
        .withAvailableReplicas(available)
        .endStatus()
        .build();
  }

  private static Condition condition(List<Condition> conditions, String type) {
    return conditions.stream().filter(c -> c.getType().equals(type)).findFirst().orElseThrow();
  }

  @Test
  void aWaypointIsAcceptedAndProgrammedOnceItsServiceAndDeploymentServe() {
    Gateway g = gateway("HBONE", 15008);

    GatewayStatus pending = GatewayStatuses.gateway(g, null, null, T0);
    assertThat(condition(pending.getConditions(), "Accepted").getStatus()).isEqualTo("True");
    Condition programmed = condition(pending.getConditions(), "Programmed");
    assertThat(programmed.getStatus()).isEqualTo("False");
    assertThat(programmed.getReason()).isEqualTo("Pending");
    assertThat(programmed.getMessage()).contains("Service app/waypoint");
    assertThat(programmed.getObservedGeneration()).isEqualTo(3L);
    assertThat(pending.getAddresses()).isEmpty();

    GatewayStatus noReplica = GatewayStatuses.gateway(g, deployment(0), service("10.96.0.50"), T0);
    assertThat(condition(noReplica.getConditions(), "Programmed").getMessage())
        .contains("Deployment app/waypoint");

    GatewayStatus ready = GatewayStatuses.gateway(g, deployment(1), service("10.96.0.50"), T0);
    assertThat(condition(ready.getConditions(), "Programmed").getStatus()).isEqualTo("True");
    assertThat(ready.getAddresses())
        .singleElement()
        .satisfies(
            a -> {
              assertThat(a.getType()).isEqualTo("IPAddress");
              assertThat(a.getValue()).isEqualTo("10.96.0.50");
            });
    ListenerStatus mesh = ready.getListeners().get(0);
    assertThat(mesh.getName()).isEqualTo("mesh");
    assertThat(mesh.getAttachedRoutes()).isZero();
    assertThat(mesh.getSupportedKinds()).isEmpty();
    assertThat(mesh.getConditions())
        .extracting(Condition::getType, Condition::getStatus)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple("Accepted", "True"),
            org.assertj.core.groups.Tuple.tuple("Programmed", "True"),
            org.assertj.core.groups.Tuple.tuple("ResolvedRefs", "True"),
            org.assertj.core.groups.Tuple.tuple("Conflicted", "False"));
  }

  @Test
  void transitionTimesMoveOnlyWhenAStatusChanges() {
    Gateway g = gateway("HBONE", 15008);
    g.setStatus(GatewayStatuses.gateway(g, null, null, T0));

    GatewayStatus same = GatewayStatuses.gateway(g, null, null, T1);
    assertThat(same).isEqualTo(g.getStatus()); // nothing to write

    GatewayStatus ready = GatewayStatuses.gateway(g, deployment(1), service("10.96.0.50"), T1);
    assertThat(condition(ready.getConditions(), "Accepted").getLastTransitionTime())
        .isEqualTo("2026-11-22T10:00:00Z");
    assertThat(condition(ready.getConditions(), "Programmed").getLastTransitionTime())
        .isEqualTo("2026-11-22T10:05:00Z");
  }

  @Test
  void aGatewayWithoutAnHboneListenerIsNotAcceptedAndSaysWhichField() {
    Gateway g = gateway("HTTP", 80);

    GatewayStatus s = GatewayStatuses.gateway(g, deployment(1), service("10.96.0.50"), T0);

    Condition accepted = condition(s.getConditions(), "Accepted");
    assertThat(accepted.getStatus()).isEqualTo("False");
    assertThat(accepted.getReason()).isEqualTo("ListenersNotValid");
    assertThat(accepted.getMessage()).startsWith("spec.listeners:").contains("HBONE", "15008");
    assertThat(condition(s.getConditions(), "Programmed").getReason()).isEqualTo("Invalid");
    assertThat(s.getAddresses()).isEmpty();
    Condition listener = condition(s.getListeners().get(0).getConditions(), "Accepted");
    assertThat(listener.getReason()).isEqualTo("UnsupportedProtocol");
    assertThat(GatewayStatuses.invalidReason(g)).isPresent();
  }

  @Test
  void staticAddressesAreRefused() {
    Gateway g =
        new GatewayBuilder(gateway("HBONE", 15008))
            .editSpec()
            .addNewAddress()
            .withType("IPAddress")
            .withValue("10.0.0.1")
            .endAddress()
            .endSpec()
            .build();

    Condition accepted =
        condition(GatewayStatuses.gateway(g, null, null, T0).getConditions(), "Accepted");
    assertThat(accepted.getReason()).isEqualTo("UnsupportedAddress");
    assertThat(accepted.getMessage()).startsWith("spec.addresses:");
  }

  @Test
  void ourClassesAreAcceptedUnlessTheyCarryParameters() {
    GatewayClass gc =
        new GatewayClassBuilder()
            .withNewMetadata()
            .withName("istio-waypoint")
            .withGeneration(1L)
            .endMetadata()
            .withNewSpec()
            .withControllerName(WaypointClasses.CONTROLLER_NAME)
            .endSpec()
            .build();
    assertThat(WaypointClasses.isOurs(gc)).isTrue();
    Condition ok = GatewayStatuses.gatewayClass(gc, T0).getConditions().get(0);
    assertThat(ok.getStatus()).isEqualTo("True");
    assertThat(ok.getObservedGeneration()).isEqualTo(1L);

    GatewayClass withParams =
        new GatewayClassBuilder(gc)
            .editSpec()
            .withNewParametersRef()
            .withGroup("")
            .withKind("ConfigMap")
            .withName("x")
            .endParametersRef()
            .endSpec()
            .build();
    Condition refused = GatewayStatuses.gatewayClass(withParams, T0).getConditions().get(0);
    assertThat(refused.getReason()).isEqualTo("InvalidParameters");

    GatewayClass theirs =
        new GatewayClassBuilder(gc)
            .editSpec()
            .withControllerName("istio.io/mesh-controller")
            .endSpec()
            .build();
    assertThat(WaypointClasses.isOurs(theirs)).isFalse();
    assertThat(WaypointClasses.ourGateways(List.of(theirs), List.of(gateway("HBONE", 15008))))
        .isEmpty();
    assertThat(WaypointClasses.ourGateways(List.of(gc), List.of(gateway("HBONE", 15008))))
        .hasSize(1);
  }
}
