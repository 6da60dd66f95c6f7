package dev.ambient.controller.kube;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ambient.api.config.LenientMeshConfig;
import dev.ambient.api.model.MeshState;
import dev.ambient.api.model.Workload;
import dev.ambient.api.spiffe.SpiffeId;
import dev.ambient.ztunnel.authz.ConnectionContext;
import dev.ambient.ztunnel.authz.L4Authorizer;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.net.InetAddress;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * PeerAuthentication resolved per workload and enforced by ztunnel's real L4 authorizer: a caller
 * without a peer identity (plaintext) is refused where the effective mode is STRICT, an mTLS caller
 * never is.
 */
class PeerAuthenticationsTest {
  private static final SpiffeId CLIENT = SpiffeId.parse("spiffe://cluster.local/ns/x/sa/client");

  private static Namespace namespace(String name) {
    return new NamespaceBuilder()
        .withNewMetadata()
        .withName(name)
        .addToLabels(KubeTranslator.DATAPLANE_MODE, KubeTranslator.AMBIENT)
        .endMetadata()
        .build();
  }

  private static Pod pod(String ns, String name, String app, String ip) {
    return new PodBuilder()
        .withNewMetadata()
        .withNamespace(ns)
        .withName(name)
        .addToLabels("app", app)
        .endMetadata()
        .withNewSpec()
        .withNodeName("node-1")
        .endSpec()
        .withNewStatus()
        .withPhase("Running")
        .withPodIP(ip)
        .addNewPodIP(ip)
        .endStatus()
        .build();
  }

  private static GenericKubernetesResource peerAuthentication(String yaml) {
    return Serialization.unmarshal(
        "apiVersion: security.istio.io/v1\nkind: PeerAuthentication\n" + yaml,
        GenericKubernetesResource.class);
  }

  private record Mesh(LenientMeshConfig translated, MeshState state) {
    boolean admits(String pod, int port, boolean mtls) throws Exception {
      Workload w =
          state.workloads().stream().filter(x -> x.name().equals(pod)).findFirst().orElseThrow();
      return new L4Authorizer()
          .check(
              state,
              w,
              new ConnectionContext(
                  mtls ? CLIENT : null,
                  InetAddress.getByName("10.0.9.9"),
                  w.addresses().get(0),
                  port))
          .allowed();
    }
  }

  private static Mesh mesh(GenericKubernetesResource... peerAuthentications) throws Exception {
    LenientMeshConfig translated =
        KubeTranslator.translate(
            new ClusterObjects(
                List.of(namespace("istio-system"), namespace("shop"), namespace("lab")),
                List.of(
                    pod("shop", "web-1", "web", "10.244.0.10"),
                    pod("shop", "db-1", "db", "10.244.0.11"),
                    pod("lab", "tool-1", "tool", "10.244.0.12")),
                List.of(),
                List.of(),
                List.of(),
                List.of(peerAuthentications)),
            KubeTranslator.Settings.DEFAULT);
    return new Mesh(translated, MeshState.of(translated.config(), 1));
  }

  @Test
  void withoutPeerAuthenticationPlaintextIsAccepted() throws Exception {
    Mesh m = mesh();
    assertThat(m.admits("web-1", 8080, false)).isTrue();
    assertThat(m.state().policies()).isEmpty();
  }

  @Test
  void meshWideStrictIsOverriddenByANamespaceAndRefinedPerPortForAWorkload() throws Exception {
    Mesh m =
        mesh(
            peerAuthentication(
                """
                metadata: {name: default, namespace: istio-system}
                spec: {mtls: {mode: STRICT}}
                """),
            peerAuthentication(
                """
                metadata: {name: relaxed, namespace: lab}
                spec: {mtls: {mode: PERMISSIVE}}
                """),
            peerAuthentication(
                """
                metadata: {name: db-metrics, namespace: shop}
                spec:
                  selector: {matchLabels: {app: db}}
                  mtls: {mode: UNSET}
                  portLevelMtls: {"9090": {mode: PERMISSIVE}}
                """));
    assertThat(m.translated().problems()).isEmpty();

    assertThat(m.admits("web-1", 8080, false)).as("mesh-wide STRICT").isFalse();
    assertThat(m.admits("web-1", 8080, true)).isTrue();
    assertThat(m.admits("tool-1", 8080, false)).as("its namespace is PERMISSIVE").isTrue();
    assertThat(m.admits("db-1", 5432, false)).as("UNSET inherits STRICT").isFalse();
    assertThat(m.admits("db-1", 9090, false)).as("the PERMISSIVE port").isTrue();
    assertThat(m.admits("db-1", 5432, true)).isTrue();
  }

  @Test
  void aWorkloadCanBeStrictOnOnePortOfAPermissiveMesh() throws Exception {
    Mesh m =
        mesh(
            peerAuthentication(
                """
                metadata: {name: web-admin, namespace: shop}
                spec:
                  selector: {matchLabels: {app: web}}
                  portLevelMtls: {"9000": {mode: STRICT}}
                """));

    assertThat(m.admits("web-1", 9000, false)).isFalse();
    assertThat(m.admits("web-1", 8080, false)).isTrue();
    assertThat(m.admits("db-1", 9000, false)).as("not selected").isTrue();
  }

  @Test
  void theOldestMatchingWorkloadPolicyWins() throws Exception {
    Mesh m =
        mesh(
            peerAuthentication(
                """
                metadata: {name: newer, namespace: shop, creationTimestamp: "2026-11-02T00:00:00Z"}
                spec: {selector: {matchLabels: {app: web}}, mtls: {mode: PERMISSIVE}}
                """),
            peerAuthentication(
                """
                metadata: {name: older, namespace: shop, creationTimestamp: "2026-11-01T00:00:00Z"}
                spec: {selector: {matchLabels: {app: web}}, mtls: {mode: STRICT}}
                """));

    assertThat(m.admits("web-1", 8080, false)).isFalse();
  }

  @Test
  void anInvalidPeerAuthenticationIsReportedByFieldAndEnforcedAsStrict() throws Exception {
    Mesh m =
        mesh(
            peerAuthentication(
                """
                metadata: {name: typo, namespace: shop}
                spec: {mtls: {mode: STRICTEST}}
                """),
            peerAuthentication(
                """
                metadata: {name: ports-without-selector, namespace: lab}
                spec: {portLevelMtls: {"8080": {mode: PERMISSIVE}}}
                """));

    assertThat(m.translated().problems())
        .anySatisfy(
            p ->
                assertThat(p)
                    .contains("(shop/typo)")
                    .contains("spec.mtls.mode")
                    .contains("STRICTEST"))
        .anySatisfy(
            p -> assertThat(p).contains("(lab/ports-without-selector)").contains("portLevelMtls"));
    assertThat(ProblemReporter.parse(m.translated().problems().get(0)).kind())
        .isEqualTo("PeerAuthentication");
    assertThat(m.admits("web-1", 8080, false)).isFalse();
    assertThat(m.admits("tool-1", 8080, false)).as("the port exception is not applied").isFalse();
    assertThat(m.admits("tool-1", 8080, true)).isTrue();
  }
}
