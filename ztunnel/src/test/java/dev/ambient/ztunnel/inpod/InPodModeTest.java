package dev.ambient.ztunnel.inpod;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ambient.api.model.MeshState;
import dev.ambient.ztunnel.proxy.ProxyListeners;
import dev.ambient.ztunnel.proxy.ProxySettings;
import dev.ambient.ztunnel.relay.NetTransport;
import dev.ambient.ztunnel.state.StateHolder;
import dev.ambient.ztunnel.testing.DenyPrincipalsAuthorizer;
import dev.ambient.ztunnel.testing.RecordingTcpMetrics;
import dev.ambient.ztunnel.testing.TestAddresses;
import dev.ambient.ztunnel.testing.TestCertificates;
import dev.ambient.ztunnel.testing.TestMesh;
import dev.ambient.ztunnel.testing.TestPki;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/** In-pod mode changes what the node-level listeners do (no root needed). */
class InPodModeTest {
  final TestCertificates certificates = new TestCertificates(new TestPki(TestMesh.TRUST_DOMAIN));
  final MeshState state =
      TestMesh.state(
          List.of(TestMesh.workload("local", "node-x", TestAddresses.next())), List.of());

  ProxyListeners listeners(NetTransport transport, boolean inPod) {
    return new ProxyListeners(
        new ProxySettings("node-x", ProxySettings.HBONE_PORT, null, null, null, null, null)
            .withInPod(inPod),
        new StateHolder(state),
        transport,
        certificates,
        new DenyPrincipalsAuthorizer(),
        new RecordingTcpMetrics());
  }

  @Test
  void noHostNetnsHboneListenersInInPodMode() throws Exception {
    NetTransport transport = NetTransport.create(1);
    Assumptions.assumeTrue(
        "io_uring".equals(transport.name()),
        "skipped: in-pod mode needs io_uring, transport is " + transport.name());
    try (ProxyListeners explicit = listeners(transport, false);
        ProxyListeners inPod = listeners(transport, true)) {
      explicit.start().join();
      inPod.start().join();
      assertThat(explicit.hboneListeners()).hasSize(1);
      assertThat(inPod.hboneListeners()).isEmpty();
    } finally {
      transport.shutdown();
    }
  }

  @Test
  void inPodModeRefusesNio() {
    NetTransport nio = NetTransport.nio(1);
    try (ProxyListeners inPod = listeners(nio, true)) {
      assertThatThrownBy(() -> inPod.start().join())
          .hasMessageContaining("in-pod mode needs the io_uring transport")
          .hasMessageContaining("nio");
    } finally {
      nio.shutdown();
    }
  }
}
