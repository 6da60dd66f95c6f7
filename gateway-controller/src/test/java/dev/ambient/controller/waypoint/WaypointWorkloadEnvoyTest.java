package dev.ambient.controller.waypoint;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ambient.api.model.GatewayAddress;
import dev.ambient.api.model.MeshState;
import dev.ambient.api.model.TunnelProtocol;
import dev.ambient.api.model.Workload;
import dev.ambient.ztunnel.testing.TestAddresses;
import dev.ambient.ztunnel.testing.TestBackend;
import dev.ambient.ztunnel.testing.TestMesh;
import dev.ambient.ztunnel.testing.ZtunnelPair;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * A pod that uses the waypoint for itself, in a real Envoy 1.40 waypoint between real ztunnels:
 * node A's ztunnel sends traffic addressed to the pod to the waypoint, which tunnels it back to the
 * pod over HBONE, requiring the pod's own identity from node B.
 */
@Tag("envoy")
class WaypointWorkloadEnvoyTest extends WaypointEnvoyTestBase {
  private TestBackend echo;

  @AfterEach
  void stopEcho() throws IOException {
    if (echo != null) {
      echo.close();
    }
  }

  /** The pod as the ztunnels know it (using the waypoint), on node B. */
  private Workload pod(InetAddress ip, String serviceAccount) {
    return TestMesh.workload(
            "direct",
            ZtunnelPair.NODE_B,
            ip,
            TunnelProtocol.HBONE,
            GatewayAddress.ofAddress(f.waypointIp))
        .withServiceAccount(serviceAccount);
  }

  /** The waypoint's model when the mesh has {@code pod} as well. */
  private WaypointModel modelWith(Workload pod) {
    List<Workload> workloads = new ArrayList<>(f.state.workloads());
    workloads.add(pod);
    MeshState state = TestMesh.state(workloads, f.state.services());
    return WaypointTranslator.translate(state, f.waypoint.uid(), ProtocolPolicy.ALL_HTTP, Map.of());
  }

  private static byte[] roundTrip(Socket s, String text) throws IOException {
    byte[] payload = text.getBytes(StandardCharsets.US_ASCII);
    s.setSoTimeout(10_000);
    s.getOutputStream().write(payload);
    s.getOutputStream().flush();
    return s.getInputStream().readNBytes(payload.length);
  }

  private String stats(String filter) throws Exception {
    InetSocketAddress admin = f.envoy.adminAddress(WaypointFixture.WAIT);
    return HttpClient.newHttpClient()
        .send(
            HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + admin.getPort() + "/stats?filter=" + filter))
                .build(),
            HttpResponse.BodyHandlers.ofString())
        .body();
  }

  @Test
  void podAddressedTrafficGoesThroughTheWaypointAndBackToThePod() throws Exception {
    InetAddress ip = TestAddresses.next();
    echo = new TestBackend(ip, TestBackend.Mode.ECHO, "direct");
    Workload pod = pod(ip, "direct-sa");
    f.pair.add(List.of(pod), List.of());
    WaypointModel model = modelWith(pod);
    assertThat(model.workloads()).extracting(WorkloadListener::address).containsExactly(ip);
    f.publishAndWait(f.resources(model));

    try (Socket s = f.connect(ip, echo.port())) {
      assertThat(roundTrip(s, "to the pod, via the waypoint\n"))
          .asString(StandardCharsets.US_ASCII)
          .isEqualTo("to the pod, via the waypoint\n");
    }
    assertThat(stats("workload"))
        .as("the waypoint's workload chain carried it")
        .containsPattern("workload\\|default/direct\\.downstream_cx_total: [1-9]");
  }

  @Test
  void thePodMustPresentItsOwnIdentityToTheWaypoint() throws Exception {
    InetAddress ip = TestAddresses.next();
    echo = new TestBackend(ip, TestBackend.Mode.ECHO, "direct");
    Workload pod = pod(ip, "direct-sa");
    f.pair.add(List.of(pod), List.of());
    // The waypoint expects another identity than node B presents for the pod.
    f.publishAndWait(f.resources(modelWith(pod(ip, "impostor-sa"))));

    try (Socket s = f.connect(ip, echo.port())) {
      byte[] got;
      try {
        got = roundTrip(s, "must not arrive\n");
      } catch (IOException refused) {
        got = new byte[0];
      }
      assertThat(got).isEmpty();
    } catch (IOException refusedAtConnect) {
      // Also a refusal.
    }
    assertThat(stats("fail_verify_san")).containsPattern("fail_verify_san: [1-9]");
  }
}
