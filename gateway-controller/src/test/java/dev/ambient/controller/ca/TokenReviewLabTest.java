package dev.ambient.controller.ca;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ambient.lab.LabCluster;
import dev.ambient.lab.LabClusterExtension;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.grpc.Metadata;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Clock;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The CA's cluster-mode authentication against the lab's real TokenReview API. */
@Tag("root")
@Tag("lab")
@ExtendWith(LabClusterExtension.class)
class TokenReviewLabTest {
  private static final Metadata.Key<String> AUTHORIZATION =
      Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);
  private static LabCluster lab;

  @BeforeAll
  static void setUp(LabCluster cluster) throws Exception {
    lab = cluster;
  }

  private static Metadata bearer(String token) {
    Metadata m = new Metadata();
    m.put(AUTHORIZATION, "Bearer " + token);
    return m;
  }

  private static TokenReviewAuthenticator authenticator(KubernetesClient client) {
    return new TokenReviewAuthenticator(
        client,
        TokenReviewAuthenticator.DEFAULT_AUDIENCE,
        Set.of("istio-system/ztunnel"),
        Clock.systemUTC());
  }

  @Test
  void onlyANodeAccountsPodBoundTokenForTheCaAudienceNamesItsNode() throws Exception {
    String manifest;
    try (InputStream in = getClass().getResourceAsStream("/ca/ztunnel-tokens.yaml")) {
      manifest = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    lab.kubectlWithInput(manifest, "apply", "-f", "-").orThrow("kubectl apply");
    lab.k(
        "-n",
        "istio-system",
        "wait",
        "--for=condition=Ready",
        "pod/ztunnel-probe",
        "--timeout=120s");
    lab.k("-n", "default", "wait", "--for=condition=Ready", "pod/impostor", "--timeout=120s");
    String node =
        lab.k(
            "-n", "istio-system", "get", "pod", "ztunnel-probe", "-o", "jsonpath={.spec.nodeName}");
    String caToken =
        lab.k(
            "-n",
            "istio-system",
            "exec",
            "ztunnel-probe",
            "--",
            "cat",
            "/var/run/secrets/tokens/istio-token");
    String apiToken =
        lab.k(
            "-n",
            "istio-system",
            "exec",
            "ztunnel-probe",
            "--",
            "cat",
            "/var/run/secrets/kubernetes.io/serviceaccount/token");
    String impostorToken =
        lab.k(
            "-n",
            "default",
            "exec",
            "impostor",
            "--",
            "cat",
            "/var/run/secrets/tokens/istio-token");

    Config config = Config.fromKubeconfig(Files.readString(LabCluster.ADMIN_KUBECONFIG));
    try (KubernetesClient client = new KubernetesClientBuilder().withConfig(config).build()) {
      var auth = authenticator(client);
      assertThat(auth.nodeFor(bearer(caToken))).contains(node);
      assertThat(auth.nodeFor(bearer(caToken))).as("cached verdict").contains(node);
      assertThat(auth.nodeFor(bearer(impostorToken))).as("untrusted account").isEmpty();
      assertThat(auth.nodeFor(bearer(apiToken))).as("the API server's audience").isEmpty();
      assertThat(auth.nodeFor(bearer("not-a-jwt"))).isEmpty();
      assertThat(auth.nodeFor(new Metadata())).isEmpty();

      // With workload callers on (cluster mode, for waypoint pods): another account's token is
      // that account acting for itself, never a node; the node account is still a node.
      var workloads =
          new TokenReviewAuthenticator(
              client,
              TokenReviewAuthenticator.DEFAULT_AUDIENCE,
              Set.of("istio-system/ztunnel"),
              Clock.systemUTC(),
              true);
      assertThat(workloads.callerFor(bearer(impostorToken)))
          .contains(Caller.serviceAccount("default/default"));
      assertThat(workloads.nodeFor(bearer(impostorToken))).isEmpty();
      assertThat(workloads.callerFor(bearer(caToken))).contains(Caller.node(node));
      assertThat(workloads.callerFor(bearer(apiToken))).as("wrong audience").isEmpty();

      // A pod-bound token dies with its pod.
      lab.k("-n", "istio-system", "delete", "pod", "ztunnel-probe", "--wait=true");
      assertThat(authenticator(client).nodeFor(bearer(caToken))).isEmpty();
    }
  }
}
