package dev.ambient.controller.local;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ambient.controller.kube.KubeTranslator;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LocalStoreTest {
  static final String NAMESPACE =
      """
      apiVersion: v1
      kind: Namespace
      metadata:
        name: demo
        labels:
          istio.io/dataplane-mode: ambient
      """;

  static String pod(String name, String ip, String node) {
    return """
        apiVersion: v1
        kind: Pod
        metadata:
          name: %s
          namespace: demo
          labels:
            app: %s
        spec:
          nodeName: %s
          containers:
          - name: app
            image: none
        status:
          phase: Running
          podIP: %s
        """
        .formatted(name, name, node, ip);
  }

  static String service(String name, String vip, String waypoint) {
    return """
        apiVersion: v1
        kind: Service
        metadata:
          name: %s
          namespace: demo
        %s
        spec:
          clusterIP: %s
          selector:
            app: %s
          ports:
          - name: http
            port: 80
            targetPort: 8080
        """
        .formatted(
            name,
            waypoint == null ? "" : "  labels:\n    istio.io/use-waypoint: " + waypoint,
            vip,
            name);
  }

  static final String WAYPOINT =
      """
      apiVersion: gateway.networking.k8s.io/v1
      kind: Gateway
      metadata:
        name: wp
        namespace: demo
      spec:
        gatewayClassName: ambient-waypoint
        listeners:
        - name: mesh
          port: 15008
          protocol: HBONE
      """;

  static String route(String name, String backend) {
    return """
        apiVersion: gateway.networking.k8s.io/v1
        kind: HTTPRoute
        metadata:
          name: %s
          namespace: demo
        spec:
          parentRefs:
          - group: ""
            kind: Service
            name: echo
            port: 80
          rules:
          - matches:
            - headers:
              - name: x-version
                value: v2
            backendRefs:
            - name: %s
              port: 80
        """
        .formatted(name, backend);
  }

  @TempDir Path tmp;
  Path storeDir;
  LocalStore store;
  ManifestReader reader;
  StoreValidator validator;

  @BeforeEach
  void setUp() {
    KubernetesSerialization serialization = new KubernetesSerialization();
    storeDir = tmp.resolve("store");
    store = new LocalStore(storeDir, serialization);
    reader = new ManifestReader(serialization);
    validator = new StoreValidator(KubeTranslator.Settings.DEFAULT);
  }

  List<StoreObject> parse(String... docs) {
    ManifestReader.Result r = reader.parse(String.join("---\n", docs), "test.yaml");
    assertThat(r.problems()).isEmpty();
    return r.objects();
  }

  List<String> storeFiles() throws IOException {
    if (!Files.isDirectory(storeDir)) {
      return List.of();
    }
    try (Stream<Path> s = Files.list(storeDir)) {
      return s.map(p -> p.getFileName().toString())
          .filter(n -> !n.equals(LocalStore.LOCK_FILE))
          .sorted()
          .toList();
    }
  }

  @Test
  void applyCreatesThenReportsUnchangedAndConfigured() throws IOException {
    LocalStore.Outcome first =
        store.apply(
            parse(
                NAMESPACE,
                pod("echo-1", "10.1.0.5", "node-a"),
                service("echo", "10.96.0.10", null)),
            validator);
    assertThat(first.problems()).isEmpty();
    assertThat(first.lines())
        .containsExactly("namespace/demo created", "pod/echo-1 created", "service/echo created");
    assertThat(storeFiles())
        .containsExactly("namespace_demo.yaml", "pod_demo_echo-1.yaml", "service_demo_echo.yaml");

    LocalStore.Outcome again =
        store.apply(
            parse(
                NAMESPACE,
                pod("echo-1", "10.1.0.5", "node-a"),
                service("echo", "10.96.0.10", null)),
            validator);
    assertThat(again.lines())
        .containsExactly(
            "namespace/demo unchanged", "pod/echo-1 unchanged", "service/echo unchanged");

    LocalStore.Outcome changed = store.apply(parse(service("echo", "10.96.0.11", null)), validator);
    assertThat(changed.lines()).containsExactly("service/echo configured");
    StoreObject svc = store.read().objects().get("Service/demo/echo");
    assertThat(svc.object().getMetadata().getGeneration()).isEqualTo(2L);
    assertThat(svc.object().getMetadata().getUid()).isNotEmpty();
  }

  @Test
  void aBadObjectRefusesTheWholeApplyNamingObjectAndField() throws IOException {
    String noAddress = pod("echo-1", "10.1.0.5", "node-a").replace("  podIP: 10.1.0.5\n", "");
    LocalStore.Outcome out =
        store.apply(parse(NAMESPACE, noAddress, service("echo", "10.96.0.10", null)), validator);
    assertThat(out.ok()).isFalse();
    assertThat(out.lines()).isEmpty();
    assertThat(out.problems())
        .containsExactly(
            "Pod demo/echo-1: status.podIP: required (a local pod carries its address)");
    assertThat(storeFiles()).isEmpty();
  }

  @Test
  void translationProblemsOfTheChangeRefuseItAndLeaveTheStoreAsItWas() throws IOException {
    store.apply(parse(NAMESPACE, pod("echo-1", "10.1.0.5", "node-a")), validator);
    List<String> before = storeFiles();
    // A second pod with the first one's address: the translator refuses the duplicate address.
    LocalStore.Outcome out =
        store.apply(
            parse(service("echo", "10.96.0.10", null), pod("echo-2", "10.1.0.5", "node-a")),
            validator);
    assertThat(out.ok()).isFalse();
    assertThat(String.join("\n", out.problems())).contains("10.1.0.5");
    assertThat(storeFiles()).isEqualTo(before);
  }

  @Test
  void nodeNameIsRequired() throws IOException {
    String noNode = pod("echo-1", "10.1.0.5", "node-a").replace("  nodeName: node-a\n", "");
    LocalStore.Outcome out = store.apply(parse(noNode), validator);
    assertThat(out.problems())
        .containsExactly(
            "Pod demo/echo-1: spec.nodeName: required (the node whose ztunnel serves the pod)");
  }

  @Test
  void gatewaysMustBeWaypoints() throws IOException {
    LocalStore.Outcome out =
        store.apply(parse(NAMESPACE, WAYPOINT.replace("ambient-waypoint", "nginx")), validator);
    assertThat(out.problems())
        .containsExactly(
            "Gateway demo/wp: spec.gatewayClassName: nginx is not a waypoint class (locally:"
                + " ambient-waypoint or istio-waypoint)");
    LocalStore.Outcome noListener =
        store.apply(parse(WAYPOINT.replace("protocol: HBONE", "protocol: HTTP")), validator);
    assertThat(noListener.problems())
        .containsExactly(
            "Gateway demo/wp: spec.listeners: a waypoint needs a listener with protocol HBONE on"
                + " port 15008");
    assertThat(storeFiles()).isEmpty();
  }

  @Test
  void unsupportedKindsAndBadFieldsAreNamed() {
    ManifestReader.Result r =
        reader.parse(
            """
            apiVersion: apps/v1
            kind: Deployment
            metadata:
              name: x
            ---
            apiVersion: v2
            kind: Pod
            metadata:
              name: y
            ---
            apiVersion: v1
            kind: Service
            metadata:
              name: Bad_Name
            ---
            apiVersion: v1
            kind: Namespace
            metadata:
              name: ns
              namespace: other
            """,
            "m.yaml");
    assertThat(r.objects()).isEmpty();
    assertThat(r.problems())
        .containsExactly(
            "m.yaml document 1: kind Deployment is not supported by the local store (supported:"
                + " Namespace, Pod, Service, Gateway, HTTPRoute, GRPCRoute, AuthorizationPolicy)",
            "m.yaml document 2 (Pod): apiVersion: v2 is not supported (expected v1)",
            "m.yaml document 3 (Service Bad_Name): metadata.name: Bad_Name is not a valid name"
                + " (lower-case letters, digits and '-', at most 63)",
            "m.yaml document 4 (Namespace ns): metadata.namespace: Namespace is cluster-scoped");
  }

  @Test
  void controllerOwnedStatusSurvivesApplyAndSpecChangesBumpGeneration() throws IOException {
    store.apply(
        parse(
            NAMESPACE,
            pod("echo-1", "10.1.0.5", "node-a"),
            service("echo", "10.96.0.10", null),
            route("r", "echo")),
        validator);
    StoreObject r = store.read().objects().get("HTTPRoute/demo/r");
    assertThat(
            store.writeStatus(
                r, java.util.Map.of("parents", List.of(java.util.Map.of("controllerName", "x")))))
        .isTrue();
    assertThat(store.apply(parse(route("r", "echo")), validator).lines())
        .containsExactly("httproute.gateway.networking.k8s.io/r unchanged");
    assertThat(store.apply(parse(route("r", "echo").replace("v2", "v3")), validator).lines())
        .containsExactly("httproute.gateway.networking.k8s.io/r configured");
    var after =
        (io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPRoute)
            store.read().objects().get("HTTPRoute/demo/r").object();
    assertThat(after.getMetadata().getGeneration()).isEqualTo(2L);
    assertThat(after.getStatus().getParents()).hasSize(1);
  }

  @Test
  void deleteRemovesNamedObjectsAndReportsMissingOnes() throws IOException {
    store.apply(parse(NAMESPACE, pod("echo-1", "10.1.0.5", "node-a")), validator);
    LocalStore.Outcome out =
        store.delete(parse(pod("echo-1", "10.1.0.5", "node-a"), service("echo", "1.2.3.4", null)));
    assertThat(out.lines()).containsExactly("pod/echo-1 deleted");
    assertThat(out.problems()).containsExactly("Service demo/echo: not found");
    assertThat(storeFiles()).containsExactly("namespace_demo.yaml");
  }

  @Test
  void aServiceNamedLikeAWaypointGatewayCollidesWithItsService() throws IOException {
    assertThat(store.apply(parse(NAMESPACE, WAYPOINT), validator).problems()).isEmpty();
    LocalStore.Outcome out = store.apply(parse(service("wp", "10.96.0.12", null)), validator);
    assertThat(out.ok()).isFalse();
    assertThat(out.problems())
        .containsExactly(
            "Service demo/wp: metadata.name: taken by the waypoint Gateway demo/wp (its own"
                + " Service has the Gateway's name)");
    assertThat(storeFiles()).doesNotContain("service_demo_wp.yaml");
  }

  @Test
  void defaultStoreFollowsMeshStoreThenXdg() {
    assertThat(StorePaths.defaultStore(java.util.Map.of("MESH_STORE", "/s"), "/home/u"))
        .isEqualTo(Path.of("/s"));
    assertThat(StorePaths.defaultStore(java.util.Map.of("XDG_STATE_HOME", "/x"), "/home/u"))
        .isEqualTo(Path.of("/x/ambient/store"));
    assertThat(StorePaths.defaultStore(java.util.Map.of(), "/home/u"))
        .isEqualTo(Path.of("/home/u/.local/state/ambient/store"));
  }
}
