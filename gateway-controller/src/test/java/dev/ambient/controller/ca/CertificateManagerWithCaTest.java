package dev.ambient.controller.ca;

import static dev.ambient.controller.ca.MeshStates.workload;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.ambient.api.spiffe.SpiffeId;
import dev.ambient.ztunnel.identity.CaClient;
import dev.ambient.ztunnel.identity.CertificateInfo;
import dev.ambient.ztunnel.identity.CertificateManager;
import dev.ambient.ztunnel.identity.CertificateUnavailableException;
import dev.ambient.ztunnel.identity.RetryPolicy;
import dev.ambient.ztunnel.identity.WorkloadCertificate;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** ztunnel's certificate manager against the real CA over TLS. */
class CertificateManagerWithCaTest {
  @TempDir Path dir;
  CaFixture f;
  final ScheduledExecutorService scheduler = Executors.newScheduledThreadPool(2);
  final SpiffeId web = SpiffeId.of("cluster.local", "default", "web");
  final SpiffeId cart = SpiffeId.of("cluster.local", "shop", "cart");
  Predicate<SpiffeId> onNodeA;

  @BeforeEach
  void setUp() throws Exception {
    f = new CaFixture(dir.resolve("state"), "127.0.32.1", Duration.ofHours(24));
    f.mesh.set(
        MeshStates.of(workload("default", "web", "node-a"), workload("shop", "cart", "node-b")));
    onNodeA =
        id ->
            f.mesh.get().workloadsOnNode("node-a").stream().anyMatch(w -> w.identity().equals(id));
  }

  @AfterEach
  void tearDown() throws Exception {
    scheduler.shutdownNow();
    f.close();
  }

  @Test
  void renewsAtHalfLife() throws Exception {
    CaClient client = f.client(f.token("node-a"), Duration.ofSeconds(4));
    CertificateManager m = new CertificateManager(client, onNodeA, scheduler);
    WorkloadCertificate first = m.certificate(web).get(30, TimeUnit.SECONDS);
    assertThat(first.trustedRoots()).containsExactly(f.roots.root());

    await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> m.cached(web) != null && !m.cached(web).leaf().equals(first.leaf()));
    WorkloadCertificate second = m.cached(web);
    assertThat(second.notAfter()).isAfterOrEqualTo(first.notAfter());
    assertThat(second.leaf().getSerialNumber()).isNotEqualTo(first.leaf().getSerialNumber());
    assertThat(m.describe())
        .singleElement()
        .satisfies(
            i -> {
              assertThat(i.identity()).isEqualTo(web);
              assertThat(i.state()).isEqualTo(CertificateInfo.State.VALID);
            });
  }

  @Test
  void refusesAnIdentityOfAnotherNodeWithoutAskingTheCa() throws Exception {
    CaClient client = f.client(f.token("node-a"), Duration.ofHours(1));
    CertificateManager m = new CertificateManager(client, onNodeA, scheduler);
    Throwable e = m.certificate(cart).handle((c, t) -> t).get(30, TimeUnit.SECONDS);
    assertThat(e)
        .isInstanceOf(CertificateUnavailableException.class)
        .hasMessageContaining("not a workload on this node");
  }

  @Test
  void unreachableCaFailsTheRequestClearly() throws Exception {
    CaClient client = f.client(f.token("node-a"), Duration.ofHours(1));
    f.server.stop();
    CertificateManager m =
        new CertificateManager(
            client,
            onNodeA,
            scheduler,
            new RetryPolicy(Duration.ofMinutes(5), Duration.ofMinutes(5)),
            Clock.systemUTC());
    Throwable e = m.certificate(web).handle((c, t) -> t).get(60, TimeUnit.SECONDS);
    assertThat(e)
        .isInstanceOf(CertificateUnavailableException.class)
        .hasMessageContaining("UNAVAILABLE");
    assertThat(m.describe().get(0).state()).isEqualTo(CertificateInfo.State.FAILED);
  }
}
