package dev.ambient.controller.gateway;

import dev.ambient.controller.kube.KubeTranslator;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.ServiceAccountBuilder;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The objects a waypoint Gateway becomes in the cluster, a pure function: a ServiceAccount (the
 * waypoint's identity, named after the Gateway as in Istio), a Deployment running {@code mesh
 * waypoint run} (which makes its own key, gets its certificate from the CA with the pod's token and
 * supervises Envoy), and a Service on the HBONE port that ztunnels send the waypoint's traffic to.
 * All carry an owner reference to the Gateway, so deleting the Gateway deletes them.
 */
public final class WaypointManifests {
  /** Marks pods and objects we manage; such pods terminate HBONE themselves (never captured). */
  public static final String MANAGED_LABEL = KubeTranslator.MANAGED;

  public static final String MANAGED_VALUE = KubeTranslator.MANAGED_BY_US;
  public static final String GATEWAY_NAME_LABEL = KubeTranslator.GATEWAY_NAME;
  public static final int STATUS_PORT = 15021;
  static final String TOKEN_DIR = "/var/run/secrets/tokens";
  static final String ROOT_DIR = "/var/run/ambient/root";
  public static final String ROOT_CONFIG_MAP = "istio-ca-root-cert";

  /**
   * @param image the waypoint image
   * @param controllerAddress host:port of the controller's TLS xDS/CA port
   * @param trustDomain the mesh's trust domain
   * @param tokenAudience the audience of the token the waypoint presents to the controller
   */
  public record Settings(
      String image, String controllerAddress, String trustDomain, String tokenAudience) {
    public static Settings defaults(String trustDomain) {
      return new Settings(
          "ghcr.io/ambient-mesh/waypoint:0.1.0",
          "ambient-controller.istio-system.svc:15012",
          trustDomain,
          "istio-ca");
    }
  }

  private WaypointManifests() {}

  public static List<HasMetadata> render(WaypointGateway gw, Settings settings) {
    Map<String, String> selector = Map.of(GATEWAY_NAME_LABEL, gw.name());
    Map<String, String> labels = new LinkedHashMap<>(gw.infrastructureLabels());
    labels.put(GATEWAY_NAME_LABEL, gw.name());
    labels.put(MANAGED_LABEL, MANAGED_VALUE);
    Map<String, String> podLabels = new LinkedHashMap<>(labels);
    // The waypoint speaks HBONE itself: its pod must not be captured by the CNI step.
    podLabels.put("istio.io/dataplane-mode", "none");
    var serviceAccount =
        new ServiceAccountBuilder().withMetadata(meta(gw, gw.serviceAccount(), labels)).build();
    var deployment =
        new DeploymentBuilder()
            .withMetadata(meta(gw, gw.name(), labels))
            .withNewSpec()
            .withNewSelector()
            .withMatchLabels(selector)
            .endSelector()
            .withNewTemplate()
            .withNewMetadata()
            .withLabels(podLabels)
            .withAnnotations(gw.infrastructureAnnotations())
            .endMetadata()
            .withNewSpec()
            .withServiceAccountName(gw.serviceAccount())
            .withTerminationGracePeriodSeconds(10L)
            .addNewContainer()
            .withName("waypoint")
            .withImage(settings.image())
            .withArgs(
                "run",
                "--gateway",
                gw.nodeId(),
                "--controller-address",
                settings.controllerAddress(),
                "--ca-root",
                ROOT_DIR + "/root-cert.pem",
                "--token-file",
                TOKEN_DIR + "/istio-token",
                "--trust-domain",
                settings.trustDomain())
            .addNewEnv()
            .withName("POD_NAME")
            .withNewValueFrom()
            .withNewFieldRef()
            .withFieldPath("metadata.name")
            .endFieldRef()
            .endValueFrom()
            .endEnv()
            .addNewEnv()
            .withName("POD_NAMESPACE")
            .withNewValueFrom()
            .withNewFieldRef()
            .withFieldPath("metadata.namespace")
            .endFieldRef()
            .endValueFrom()
            .endEnv()
            .addNewEnv()
            .withName("SERVICE_ACCOUNT")
            .withNewValueFrom()
            .withNewFieldRef()
            .withFieldPath("spec.serviceAccountName")
            .endFieldRef()
            .endValueFrom()
            .endEnv()
            .addNewPort()
            .withName("mesh")
            .withContainerPort(GatewayStatuses.HBONE_PORT)
            .withProtocol("TCP")
            .endPort()
            .addNewPort()
            .withName("status-port")
            .withContainerPort(STATUS_PORT)
            .withProtocol("TCP")
            .endPort()
            .withNewReadinessProbe()
            .withNewHttpGet()
            .withPath("/healthz/ready")
            .withPort(new IntOrString(STATUS_PORT))
            .endHttpGet()
            .withPeriodSeconds(2)
            .endReadinessProbe()
            .addNewVolumeMount()
            .withName("istio-token")
            .withMountPath(TOKEN_DIR)
            .withReadOnly(true)
            .endVolumeMount()
            .addNewVolumeMount()
            .withName("ca-root")
            .withMountPath(ROOT_DIR)
            .withReadOnly(true)
            .endVolumeMount()
            .endContainer()
            .addNewVolume()
            .withName("istio-token")
            .withNewProjected()
            .addNewSource()
            .withNewServiceAccountToken()
            .withAudience(settings.tokenAudience())
            .withExpirationSeconds(43200L)
            .withPath("istio-token")
            .endServiceAccountToken()
            .endSource()
            .endProjected()
            .endVolume()
            .addNewVolume()
            .withName("ca-root")
            .withNewConfigMap()
            .withName(ROOT_CONFIG_MAP)
            .endConfigMap()
            .endVolume()
            .endSpec()
            .endTemplate()
            .endSpec()
            .build();
    var service =
        new ServiceBuilder()
            .withMetadata(meta(gw, gw.name(), labels))
            .withNewSpec()
            .withType("ClusterIP")
            .withSelector(selector)
            .addNewPort()
            .withName("mesh")
            .withPort(GatewayStatuses.HBONE_PORT)
            .withTargetPort(new IntOrString(GatewayStatuses.HBONE_PORT))
            .withProtocol("TCP")
            .endPort()
            .addNewPort()
            .withName("status-port")
            .withPort(STATUS_PORT)
            .withTargetPort(new IntOrString(STATUS_PORT))
            .withProtocol("TCP")
            .endPort()
            .endSpec()
            .build();
    return List.of(serviceAccount, deployment, service);
  }

  private static ObjectMeta meta(WaypointGateway gw, String name, Map<String, String> labels) {
    return new ObjectMetaBuilder()
        .withName(name)
        .withNamespace(gw.namespace())
        .withLabels(labels)
        .withAnnotations(gw.infrastructureAnnotations())
        .withOwnerReferences(
            new OwnerReferenceBuilder()
                .withApiVersion("gateway.networking.k8s.io/v1")
                .withKind("Gateway")
                .withName(gw.name())
                .withUid(gw.uid())
                .withController(true)
                .withBlockOwnerDeletion(true)
                .build())
        .build();
  }
}
