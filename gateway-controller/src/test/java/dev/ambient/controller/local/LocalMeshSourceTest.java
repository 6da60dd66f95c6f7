package dev.ambient.controller.local;

import static dev.ambient.controller.local.LocalStoreTest.NAMESPACE;
import static dev.ambient.controller.local.LocalStoreTest.WAYPOINT;
import static dev.ambient.controller.local.LocalStoreTest.pod;
import static dev.ambient.controller.local.LocalStoreTest.route;
import static dev.ambient.controller.local.LocalStoreTest.service;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ambient.api.model.MeshState;
import dev.ambient.controller.gateway.WaypointGateway;
import dev.ambient.controller.kube.KubeTranslator;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.GRPCRoute;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.Gateway;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPRoute;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LocalMeshSourceTest {
  @TempDir Path tmp;
  LocalStore store;
  ManifestReader reader;
  StoreValidator validator;
  LocalMeshSource source;

  @BeforeEach
  void setUp() {
    KubernetesSerialization serialization = new KubernetesSerialization();
    store = new LocalStore(tmp.resolve("store"), serialization);
    reader = new ManifestReader(serialization);
    validator = new StoreValidator(KubeTranslator.Settings.DEFAULT);
  }

  @AfterEach
  void tearDown() {
    if (source != null) {
      source.close();
    }
  }

  void apply(String... docs) throws IOException {
    ManifestReader.Result r = reader.parse(String.join("---\n", docs), "test.yaml");
    assertThat(r.problems()).isEmpty();
    LocalStore.Outcome out = store.apply(r.objects(), validator);
    assertThat(out.problems()).isEmpty();
  }

  /** A fake runtime: every waypoint serves at a fixed address on node-a. */
  static final class FakeWaypoints implements LocalWaypoints {
    volatile List<WaypointGateway> last = List.of();

    @Override
    public Map<String, State> reconcile(List<WaypointGateway> wanted, java.util.Set<String> taken) {
      last = wanted;
      Map<String, State> out = new LinkedHashMap<>();
      for (WaypointGateway gw : wanted) {
        out.put(gw.nodeId(), State.serving("10.1.0.200", "node-a", "10.1.0.199"));
      }
      return out;
    }

    @Override
    public void close() {}
  }

  static void await(BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("condition not met in time");
      }
      Thread.sleep(20);
    }
  }

  @Test
  void translatesTheStoreWritesStatusAndFollowsChanges() throws Exception {
    apply(
        NAMESPACE,
        pod("client", "10.1.0.4", "node-a"),
        pod("echo", "10.1.0.5", "node-b"),
        pod("echo-v2", "10.1.0.6", "node-b"),
        service("echo", "10.96.0.10", "wp"),
        service("echo-v2", "10.96.0.11", null),
        WAYPOINT,
        route("r", "echo-v2"));
    FakeWaypoints waypoints = new FakeWaypoints();
    source =
        LocalMeshSource.start(
            store, KubeTranslator.Settings.DEFAULT, waypoints, Duration.ofMillis(50));
    MeshState mesh = source.current();
    assertThat(mesh.version()).isEqualTo(1);
    // The three pods and the waypoint's own pod; the waypoint's Service besides the user's two.
    assertThat(mesh.config().workloads()).hasSize(4);
    assertThat(mesh.config().services()).hasSize(3);
    assertThat(source.waypoints()).extracting(WaypointGateway::nodeId).containsExactly("demo/wp");
    assertThat(source.routes()).hasSize(1);

    // Status written back into the store objects.
    await(() -> routeStatus("r") != null && gatewayStatus() != null);
    HTTPRoute r = (HTTPRoute) read("HTTPRoute/demo/r");
    assertThat(r.getStatus().getParents()).hasSize(1);
    assertThat(r.getStatus().getParents().get(0).getConditions())
        .extracting(c -> c.getType() + "=" + c.getStatus())
        .containsExactly("Accepted=True", "ResolvedRefs=True");
    Gateway g = (Gateway) read("Gateway/demo/wp");
    assertThat(g.getStatus().getAddresses())
        .extracting(a -> a.getValue())
        .containsExactly("10.1.0.200");
    assertThat(g.getStatus().getConditions())
        .extracting(c -> c.getType() + "=" + c.getStatus())
        .containsExactly("Accepted=True", "Programmed=True");

    // A route to a backend that does not exist: ResolvedRefs=False, BackendNotFound.
    apply(route("r", "nope"));
    await(
        () -> {
          String s = routeStatus("r");
          return s != null && s.contains("BackendNotFound");
        });

    // A pod edited by hand into the store without its address is left out; the rest applies.
    long before = source.current().version();
    Files.writeString(
        store.dir().resolve("pod_demo_echo-v2.yaml"),
        Files.readString(store.dir().resolve("pod_demo_echo-v2.yaml"))
            .replaceAll("(?m)^\\s*podIP: .*$", "")
            .replaceAll("(?ms)^  podIPs:.*", ""));
    await(() -> source.current().version() > before);
    assertThat(source.current().config().workloads())
        .extracting(w -> w.name())
        .containsExactlyInAnyOrder("client", "echo", "wp-waypoint");

    // Deleting the Gateway: the runtime is told, the waypoint's pod and service leave the mesh.
    store.delete(reader.parse(WAYPOINT, "x").objects());
    await(() -> waypoints.last.isEmpty());
    await(() -> source.current().config().services().size() == 2);
  }

  @Test
  void aGrpcRouteIsHeldGetsStatusAndWinsThePortOverAnHttpRoute() throws Exception {
    apply(
        NAMESPACE,
        pod("echo", "10.1.0.5", "node-b"),
        pod("echo-v2", "10.1.0.6", "node-b"),
        service("echo", "10.96.0.10", "wp"),
        service("echo-v2", "10.96.0.11", null),
        WAYPOINT,
        route("r", "echo-v2"),
        """
        apiVersion: gateway.networking.k8s.io/v1
        kind: GRPCRoute
        metadata: {name: g, namespace: demo}
        spec:
          parentRefs: [{group: "", kind: Service, name: echo, port: 80}]
          rules:
          - matches: [{method: {service: pkg.Echo}}]
            backendRefs: [{name: echo-v2, port: 80}]
        """);
    source =
        LocalMeshSource.start(
            store, KubeTranslator.Settings.DEFAULT, new FakeWaypoints(), Duration.ofMillis(50));
    assertThat(source.grpcRoutes()).hasSize(1);

    await(() -> grpcRouteStatus() != null && routeStatus("r") != null);
    GRPCRoute g = (GRPCRoute) read("GRPCRoute/demo/g");
    assertThat(g.getStatus().getParents().get(0).getConditions())
        .extracting(c -> c.getType() + "=" + c.getStatus())
        .containsExactly("Accepted=True", "ResolvedRefs=True");
    HTTPRoute r = (HTTPRoute) read("HTTPRoute/demo/r");
    assertThat(r.getStatus().getParents().get(0).getConditions())
        .extracting(c -> c.getType() + "=" + c.getStatus() + "/" + c.getReason())
        .contains("Accepted=False/Conflicted");
  }

  String grpcRouteStatus() {
    GRPCRoute g = (GRPCRoute) read("GRPCRoute/demo/g");
    return g.getStatus() == null || g.getStatus().getParents() == null
        ? null
        : g.getStatus().getParents().toString();
  }

  @Test
  void withoutAWaypointRuntimeTheGatewaySaysWhyAndTheRestApplies() throws Exception {
    apply(
        NAMESPACE,
        pod("client", "10.1.0.4", "node-a"),
        pod("echo", "10.1.0.5", "node-b"),
        service("echo", "10.96.0.10", "wp"),
        WAYPOINT);
    source =
        LocalMeshSource.start(
            store,
            KubeTranslator.Settings.DEFAULT,
            LocalWaypoints.disabled("the controller must run as root"),
            Duration.ofMillis(50));
    assertThat(source.current().config().workloads()).hasSize(2);
    await(() -> gatewayStatus() != null);
    Gateway g = (Gateway) read("Gateway/demo/wp");
    assertThat(g.getStatus().getAddresses()).isEmpty();
    assertThat(g.getStatus().getConditions())
        .extracting(c -> c.getType() + "=" + c.getStatus() + " " + c.getMessage())
        .containsExactly(
            "Accepted=True Waypoint accepted", "Programmed=False the controller must run as root");
  }

  Object read(String key) {
    try {
      return store.read().objects().get(key).object();
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  String routeStatus(String name) {
    HTTPRoute r = (HTTPRoute) read("HTTPRoute/demo/" + name);
    return r.getStatus() == null || r.getStatus().getParents() == null
        ? null
        : r.getStatus().getParents().toString();
  }

  String gatewayStatus() {
    Gateway g = (Gateway) read("Gateway/demo/wp");
    return g.getStatus() == null ? null : g.getStatus().toString();
  }
}
