package dev.ambient.controller.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ambient.controller.kube.KubeTranslator;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** What a waypoint Gateway becomes in the cluster. */
class WaypointManifestsTest {
  private final WaypointGateway gw =
      new WaypointGateway(
          "app",
          "waypoint",
          "uid-1",
          "istio-waypoint",
          Map.of("team", "payments"),
          Map.of("note", "x"));

  @Test
  void rendersAnAccountADeploymentAndAServiceOwnedByTheGateway() {
    List<HasMetadata> objects =
        WaypointManifests.render(gw, WaypointManifests.Settings.defaults("example.org"));

    assertThat(objects)
        .extracting(HasMetadata::getKind)
        .containsExactly("ServiceAccount", "Deployment", "Service");
    for (HasMetadata o : objects) {
      assertThat(o.getMetadata().getNamespace()).isEqualTo("app");
      assertThat(o.getMetadata().getName()).isEqualTo("waypoint");
      assertThat(o.getMetadata().getLabels())
          .containsEntry("gateway.networking.k8s.io/gateway-name", "waypoint")
          .containsEntry("gateway.istio.io/managed", "dev.ambient.mesh-controller")
          .containsEntry("team", "payments");
      assertThat(o.getMetadata().getAnnotations()).containsEntry("note", "x");
      var owner = o.getMetadata().getOwnerReferences().get(0);
      assertThat(owner.getKind()).isEqualTo("Gateway");
      assertThat(owner.getUid()).isEqualTo("uid-1");
      assertThat(owner.getController()).isTrue();
    }
    assertThat(((ServiceAccount) objects.get(0)).getMetadata().getName()).isEqualTo("waypoint");

    Deployment d = (Deployment) objects.get(1);
    var pod = d.getSpec().getTemplate();
    assertThat(pod.getMetadata().getLabels()).containsEntry("istio.io/dataplane-mode", "none");
    assertThat(d.getSpec().getSelector().getMatchLabels())
        .isEqualTo(Map.of("gateway.networking.k8s.io/gateway-name", "waypoint"));
    assertThat(d.getSpec().getReplicas()).as("left to the user or an autoscaler").isNull();
    assertThat(pod.getSpec().getServiceAccountName()).isEqualTo("waypoint");
    var c = pod.getSpec().getContainers().get(0);
    assertThat(c.getImage()).isEqualTo("ghcr.io/ambient-mesh/waypoint:0.1.0");
    assertThat(c.getArgs())
        .containsSubsequence("run", "--gateway", "app/waypoint")
        .containsSubsequence("--controller-address", "ambient-controller.istio-system.svc:15012")
        .containsSubsequence("--trust-domain", "example.org");
    assertThat(c.getEnv())
        .extracting(e -> e.getValueFrom().getFieldRef().getFieldPath())
        .containsExactly("metadata.name", "metadata.namespace", "spec.serviceAccountName");
    assertThat(c.getReadinessProbe().getHttpGet().getPort().getIntVal()).isEqualTo(15021);
    var token = pod.getSpec().getVolumes().get(0).getProjected().getSources().get(0);
    assertThat(token.getServiceAccountToken().getAudience()).isEqualTo("istio-ca");
    assertThat(pod.getSpec().getVolumes().get(1).getConfigMap().getName())
        .isEqualTo("istio-ca-root-cert");

    Service s = (Service) objects.get(2);
    assertThat(s.getSpec().getSelector())
        .isEqualTo(Map.of("gateway.networking.k8s.io/gateway-name", "waypoint"));
    assertThat(s.getSpec().getPorts())
        .extracting(p -> p.getName() + ":" + p.getPort())
        .containsExactly("mesh:15008", "status-port:15021");
  }

  @Test
  void theWaypointsPodsAreHboneWorkloadsThatAreNotCaptured() {
    Deployment d =
        (Deployment)
            WaypointManifests.render(gw, WaypointManifests.Settings.defaults("cluster.local"))
                .get(1);
    Pod pod =
        new PodBuilder()
            .withNewMetadata()
            .withLabels(d.getSpec().getTemplate().getMetadata().getLabels())
            .endMetadata()
            .build();
    var ambientNamespace =
        new io.fabric8.kubernetes.api.model.NamespaceBuilder()
            .withNewMetadata()
            .withName("app")
            .withLabels(Map.of("istio.io/dataplane-mode", "ambient"))
            .endMetadata()
            .build();

    assertThat(KubeTranslator.captured(pod, ambientNamespace)).isFalse();
    assertThat(KubeTranslator.nativeHbone(pod)).isTrue();
  }
}
