package dev.ambient.controller.ca;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ambient.lab.LabCluster;
import dev.ambient.lab.LabClusterExtension;
import dev.ambient.ztunnel.identity.Pem;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Base64;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** The CA root kept in, and restored from, the lab cluster's real API server. */
@Tag("root")
@Tag("lab")
@ExtendWith(LabClusterExtension.class)
class CaRootSecretLabTest {
  @TempDir Path tmp;

  private CaOptions options(String dir) {
    CaOptions o = new CaOptions();
    o.stateDir = tmp.resolve(dir);
    o.trustDomain = "cluster.local";
    o.maxTtl = "24h";
    return o;
  }

  private static String b64(String s) {
    return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.US_ASCII));
  }

  @Test
  void theRootSurvivesANewStateDirAndAPluggedInCaWins(LabCluster lab) throws Exception {
    Config config = Config.fromKubeconfig(Files.readString(LabCluster.ADMIN_KUBECONFIG));
    try (KubernetesClient client = new KubernetesClientBuilder().withConfig(config).build()) {
      String ns = "ca-secret-test";
      client
          .namespaces()
          .resource(new NamespaceBuilder().withNewMetadata().withName(ns).endMetadata().build())
          .create();

      // First start: the root is made locally and stored.
      CaOptions first = options("a");
      assertThat(CaRootSecret.prepare(client, ns, first)).isEqualTo(CaRootSecret.Origin.CREATED);
      X509Certificate root = first.open().ca().trustBundle().get(0);
      var secret = client.secrets().inNamespace(ns).withName("istio-ca-secret").get();
      assertThat(secret.getType()).isEqualTo("istio.io/ca-root");
      assertThat(secret.getData()).containsKeys("ca-cert.pem", "ca-key.pem");

      // A rescheduled controller (empty state dir) signs with the same root.
      CaOptions second = options("b");
      assertThat(CaRootSecret.prepare(client, ns, second)).isEqualTo(CaRootSecret.Origin.RESTORED);
      assertThat(second.open().ca().trustBundle().get(0)).isEqualTo(root);
      assertThat(
              java.nio.file.attribute.PosixFilePermissions.toString(
                  Files.getPosixFilePermissions(tmp.resolve("b").resolve(RootStore.ROOT_KEY))))
          .isEqualTo("rw-------");

      // No namespace (a development controller): the root stays local, and says so.
      assertThat(CaRootSecret.prepare(client, "no-such-namespace", options("c")))
          .isEqualTo(CaRootSecret.Origin.NOT_STORED);

      // An operator's plugged-in CA wins over the self-signed root.
      KeyPair key = X509Builder.newP256();
      Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
      X509Certificate plugged =
          X509Builder.selfSignedRoot(
              key, "cluster.local", now.minusSeconds(60), now.plusSeconds(86400));
      client
          .secrets()
          .inNamespace(ns)
          .resource(
              new SecretBuilder()
                  .withNewMetadata()
                  .withName("cacerts")
                  .endMetadata()
                  .addToData("ca-cert.pem", b64(Pem.certificate(plugged)))
                  .addToData("ca-key.pem", b64(Pem.privateKey(key.getPrivate())))
                  .addToData("root-cert.pem", b64(Pem.certificate(plugged)))
                  .build())
          .create();
      CaOptions third = options("d");
      assertThat(CaRootSecret.prepare(client, ns, third)).isEqualTo(CaRootSecret.Origin.PLUGGED_IN);
      assertThat(third.open().ca().trustBundle().get(0)).isEqualTo(plugged);

      // A broken Secret is refused naming the Secret and the key.
      client.secrets().inNamespace(ns).withName("cacerts").delete();
      client
          .secrets()
          .inNamespace(ns)
          .resource(
              new SecretBuilder()
                  .withNewMetadata()
                  .withName("cacerts")
                  .endMetadata()
                  .addToData("ca-cert.pem", b64(Pem.certificate(plugged)))
                  .addToData("root-cert.pem", b64(Pem.certificate(plugged)))
                  .build())
          .create();
      assertThatThrownBy(() -> CaRootSecret.prepare(client, ns, options("e")))
          .isInstanceOf(CaStateException.class)
          .hasMessageContaining("Secret " + ns + "/cacerts: data.ca-key.pem is missing");
    }
  }
}
