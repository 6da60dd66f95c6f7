package dev.ambient.controller.kube;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ambient.api.authz.AuthorizationPolicy;
import dev.ambient.api.config.LenientMeshConfig;
import dev.ambient.api.model.MeshState;
import dev.ambient.api.model.TunnelProtocol;
import dev.ambient.api.model.Workload;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class KubeTranslatorTest {
  private static Namespace namespace(String name, String mode) {
    var b = new NamespaceBuilder().withNewMetadata().withName(name);
    if (mode != null) {
      b.addToLabels(KubeTranslator.DATAPLANE_MODE, mode);
    }
    return b.endMetadata().build();
  }

  private static PodBuilder pod(String ns, String name, String ip) {
    return new PodBuilder()
        .withNewMetadata()
        .withNamespace(ns)
        .withName(name)
        .addToLabels("app", name.replaceAll("-\\d+$", ""))
        .endMetadata()
        .withNewSpec()
        .withNodeName("lab-node-1")
        .withServiceAccountName("sa-" + name)
        .endSpec()
        .withNewStatus()
        .withPhase("Running")
        .withPodIP(ip)
        .addNewPodIP(ip)
        .endStatus();
  }

  private static GenericKubernetesResource policy(
      String ns, String name, Map<String, Object> spec) {
    return new GenericKubernetesResourceBuilder()
        .withApiVersion("security.istio.io/v1")
        .withKind("AuthorizationPolicy")
        .withNewMetadata()
        .withNamespace(ns)
        .withName(name)
        .endMetadata()
        .addToAdditionalProperties("spec", spec)
        .build();
  }

  private static LenientMeshConfig translate(
      List<Namespace> namespaces,
      List<Pod> pods,
      List<Service> services,
      List<GenericKubernetesResource> policies) {
    return KubeTranslator.translate(
        new ClusterObjects(namespaces, pods, services, policies), KubeTranslator.Settings.DEFAULT);
  }

  @Test
  void podsAreCapturedByNamespaceLabelUnlessTheyOptOut() throws Exception {
    var result =
        translate(
            List.of(namespace("mesh", "ambient"), namespace("plain", null)),
            List.of(
                pod("mesh", "a-1", "10.244.1.2").build(),
                pod("mesh", "b-1", "10.244.1.3")
                    .editMetadata()
                    .addToLabels(KubeTranslator.DATAPLANE_MODE, "none")
                    .endMetadata()
                    .build(),
                pod("plain", "c-1", "10.244.2.2").build(),
                pod("plain", "d-1", "10.244.2.3")
                    .editMetadata()
                    .addToLabels(KubeTranslator.DATAPLANE_MODE, "ambient")
                    .endMetadata()
                    .build()),
            List.of(),
            List.of());
    assertThat(result.problems()).isEmpty();
    Map<String, Workload> byName =
        result.config().workloads().stream().collect(Collectors.toMap(Workload::name, w -> w));
    assertThat(byName.get("a-1").protocol()).isEqualTo(TunnelProtocol.HBONE);
    assertThat(byName.get("b-1").protocol()).isEqualTo(TunnelProtocol.NONE);
    assertThat(byName.get("c-1").protocol()).isEqualTo(TunnelProtocol.NONE);
    assertThat(byName.get("d-1").protocol()).isEqualTo(TunnelProtocol.HBONE);
    Workload a = byName.get("a-1");
    assertThat(a.uid()).isEqualTo("Kubernetes//Pod/mesh/a-1");
    assertThat(a.serviceAccount()).isEqualTo("sa-a-1");
    assertThat(a.node()).isEqualTo("lab-node-1");
    assertThat(a.addresses()).extracting(Object::toString).containsExactly("/10.244.1.2");
    assertThat(a.identity().toString()).isEqualTo("spiffe://cluster.local/ns/mesh/sa/sa-a-1");
    assertThat(a.canonicalName()).isEqualTo("a");
  }

  @Test
  void podsThatAreNotRunningWithAnAddressAreNotWorkloads() {
    var result =
        translate(
            List.of(namespace("mesh", "ambient")),
            List.of(
                pod("mesh", "pending-1", null).build(),
                pod("mesh", "done-1", "10.244.1.4")
                    .editStatus()
                    .withPhase("Succeeded")
                    .endStatus()
                    .build(),
                pod("mesh", "host-1", "10.200.0.11")
                    .editSpec()
                    .withHostNetwork(true)
                    .endSpec()
                    .build(),
                pod("mesh", "leaving-1", "10.244.1.5")
                    .editMetadata()
                    .withDeletionTimestamp("2026-11-22T10:00:00Z")
                    .endMetadata()
                    .build(),
                pod("mesh", "up-1", "10.244.1.6").build()),
            List.of(),
            List.of());
    assertThat(result.config().workloads()).extracting(Workload::name).containsExactly("up-1");
  }

  @Test
  void servicesSelectTheirPodsAndKeepTcpPortsOnly() throws Exception {
    Service echo =
        new ServiceBuilder()
            .withNewMetadata()
            .withNamespace("mesh")
            .withName("echo")
            .endMetadata()
            .withNewSpec()
            .withClusterIP("10.96.0.20")
            .withClusterIPs("10.96.0.20")
            .addToSelector("app", "a")
            .addNewPort()
            .withName("http")
            .withPort(80)
            .withTargetPort(new IntOrString(8080))
            .withProtocol("TCP")
            .endPort()
            .addNewPort()
            .withName("dns")
            .withPort(53)
            .withProtocol("UDP")
            .endPort()
            .endSpec()
            .build();
    Service alias =
        new ServiceBuilder()
            .withNewMetadata()
            .withNamespace("mesh")
            .withName("alias")
            .endMetadata()
            .withNewSpec()
            .withType("ExternalName")
            .withExternalName("example.com")
            .endSpec()
            .build();
    var result =
        translate(
            List.of(namespace("mesh", "ambient")),
            List.of(
                pod("mesh", "a-1", "10.244.1.2").build(), pod("mesh", "b-1", "10.244.1.3").build()),
            List.of(echo, alias),
            List.of());
    assertThat(result.problems()).isEmpty();
    MeshState state = MeshState.of(result.config(), 1);
    assertThat(result.config().services()).hasSize(1);
    var svc = result.config().services().get(0);
    assertThat(svc.hostname()).isEqualTo("echo.mesh.svc.cluster.local");
    assertThat(svc.ports()).hasSize(1);
    assertThat(svc.port(80).targetPort()).isEqualTo(8080);
    assertThat(svc.endpoints()).containsExactly("Kubernetes//Pod/mesh/a-1");
    assertThat(state.version()).isEqualTo(1);
  }

  @Test
  void anInvalidPolicyIsLeftOutAndNamedWhileTheRestApplies() {
    var good =
        policy(
            "mesh",
            "deny-sleep",
            Map.of(
                "action",
                "DENY",
                "rules",
                List.of(
                    Map.of(
                        "from",
                        List.of(Map.of("source", Map.of("namespaces", List.of("sleep"))))))));
    var bad = policy("mesh", "broken", Map.of("action", "MAYBE"));
    var result =
        translate(
            List.of(namespace("mesh", "ambient")),
            List.of(pod("mesh", "a-1", "10.244.1.2").build()),
            List.of(),
            List.of(good, bad));
    assertThat(result.config().policies())
        .extracting(AuthorizationPolicy::name)
        .containsExactly("deny-sleep");
    assertThat(result.config().workloads()).hasSize(1);
    assertThat(result.problems()).hasSize(1);
    assertThat(result.problems().get(0)).contains("mesh/broken").contains("spec.action");
  }

  @Test
  void waypointsAreChosenByLabelOnTheServiceOrItsNamespaceAndOnThePod() throws Exception {
    Namespace mesh =
        new NamespaceBuilder(namespace("mesh", "ambient"))
            .editMetadata()
            .addToLabels(KubeTranslator.USE_WAYPOINT, "waypoint")
            .endMetadata()
            .build();
    java.util.function.BiFunction<String, Map<String, String>, Service> svc =
        (name, labels) ->
            new ServiceBuilder()
                .withNewMetadata()
                .withNamespace("mesh")
                .withName(name)
                .withLabels(labels)
                .endMetadata()
                .withNewSpec()
                .withClusterIP("10.96.0." + (20 + name.length()))
                .addNewPort()
                .withPort(80)
                .endPort()
                .endSpec()
                .build();
    var result =
        translate(
            List.of(mesh),
            List.of(
                pod("mesh", "a-1", "10.244.1.2")
                    .editMetadata()
                    .addToLabels(KubeTranslator.USE_WAYPOINT, "pod-wp")
                    .endMetadata()
                    .build(),
                pod("mesh", "b-1", "10.244.1.3").build()),
            List.of(
                svc.apply("waypoint", Map.of(KubeTranslator.GATEWAY_NAME, "waypoint")),
                svc.apply("by-namespace", Map.of()),
                svc.apply("own", Map.of(KubeTranslator.USE_WAYPOINT, "special")),
                svc.apply(
                    "elsewhere",
                    Map.of(
                        KubeTranslator.USE_WAYPOINT, "shared",
                        KubeTranslator.USE_WAYPOINT_NAMESPACE, "infra")),
                svc.apply("opted-out", Map.of(KubeTranslator.USE_WAYPOINT, "none"))),
            List.of());
    assertThat(result.problems()).isEmpty();
    Map<String, String> waypoints =
        result.config().services().stream()
            .filter(s -> s.waypoint() != null)
            .collect(Collectors.toMap(s -> s.name(), s -> s.waypoint().namespacedHostname()));
    assertThat(waypoints)
        .containsEntry("by-namespace", "mesh/waypoint.mesh.svc.cluster.local")
        .containsEntry("own", "mesh/special.mesh.svc.cluster.local")
        .containsEntry("elsewhere", "infra/shared.infra.svc.cluster.local")
        .doesNotContainKey("opted-out")
        .doesNotContainKey("waypoint"); // a waypoint's own Service never loops through itself
    Map<String, Workload> byName =
        result.config().workloads().stream().collect(Collectors.toMap(Workload::name, w -> w));
    assertThat(byName.get("a-1").waypoint().namespacedHostname())
        .isEqualTo("mesh/pod-wp.mesh.svc.cluster.local");
    // The namespace's label is for services: pod-addressed traffic is left alone.
    assertThat(byName.get("b-1").waypoint()).isNull();
  }

  @Test
  void onlyReadyPodsAreServiceEndpointsUnlessTheServicePublishesNotReadyAddresses()
      throws Exception {
    java.util.function.BiFunction<String, Boolean, Pod> pod =
        (name, ready) ->
            pod("mesh", name, "10.244.3." + (10 + name.length()))
                .editMetadata()
                .addToLabels("app", "web")
                .endMetadata()
                .editStatus()
                .addNewCondition()
                .withType("Ready")
                .withStatus(ready ? "True" : "False")
                .endCondition()
                .endStatus()
                .build();
    java.util.function.BiFunction<String, Boolean, Service> svc =
        (name, publishNotReady) ->
            new ServiceBuilder()
                .withNewMetadata()
                .withNamespace("mesh")
                .withName(name)
                .endMetadata()
                .withNewSpec()
                .withClusterIP("10.96.4." + name.length())
                .withSelector(Map.of("app", "web"))
                .withPublishNotReadyAddresses(publishNotReady)
                .addNewPort()
                .withPort(80)
                .endPort()
                .endSpec()
                .build();
    var result =
        translate(
            List.of(namespace("mesh", "ambient")),
            List.of(
                pod.apply("web-ready", true),
                pod.apply("web-starting", false),
                // No Ready condition at all (written by hand): ready.
                pod("mesh", "web-static", "10.244.3.99")
                    .editMetadata()
                    .addToLabels("app", "web")
                    .endMetadata()
                    .build()),
            List.of(svc.apply("web", null), svc.apply("web-all", true)),
            List.of());
    assertThat(result.problems()).isEmpty();
    MeshState state = MeshState.of(result.config(), 1);
    Map<String, List<String>> endpoints =
        state.services().stream()
            .collect(
                Collectors.toMap(
                    s -> s.name(),
                    s -> state.endpoints(s).stream().map(Workload::name).sorted().toList()));
    assertThat(endpoints.get("web")).containsExactly("web-ready", "web-static");
    assertThat(endpoints.get("web-all")).containsExactly("web-ready", "web-starting", "web-static");
    assertThat(result.config().workloads())
        .as("an unready pod is still a workload (its own traffic, its certificate)")
        .extracting(Workload::name)
        .contains("web-starting");
  }

  @Test
  void aServiceWithoutSelectorTakesThePodsItsEndpointSlicesList() throws Exception {
    Service svc =
        new ServiceBuilder()
            .withNewMetadata()
            .withNamespace("mesh")
            .withName("manual")
            .endMetadata()
            .withNewSpec()
            .withClusterIP("10.96.5.1")
            .addNewPort()
            .withPort(80)
            .endPort()
            .endSpec()
            .build();
    var slice =
        new io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder()
            .withNewMetadata()
            .withNamespace("mesh")
            .withName("manual-1")
            .addToLabels(KubeTranslator.SERVICE_NAME, "manual")
            .endMetadata()
            .withAddressType("IPv4")
            .addNewEndpoint()
            .withAddresses("10.244.6.1")
            .withNewTargetRef()
            .withKind("Pod")
            .withName("by-ref")
            .endTargetRef()
            .endEndpoint()
            .addNewEndpoint()
            .withAddresses("10.244.6.2")
            .endEndpoint()
            .addNewEndpoint()
            .withAddresses("10.244.6.3")
            .withNewConditions()
            .withReady(false)
            .endConditions()
            .endEndpoint()
            .addNewEndpoint()
            .withAddresses("192.0.2.7")
            .endEndpoint()
            .build();
    var other =
        new io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder(slice)
            .editMetadata()
            .withName("someone-else")
            .addToLabels(KubeTranslator.SERVICE_NAME, "other")
            .endMetadata()
            .build();
    var result =
        KubeTranslator.translate(
            new ClusterObjects(
                List.of(namespace("mesh", "ambient")),
                List.of(
                    pod("mesh", "by-ref", "10.244.6.1").build(),
                    pod("mesh", "by-ip", "10.244.6.2").build(),
                    pod("mesh", "not-ready", "10.244.6.3").build()),
                List.of(svc),
                List.of(),
                List.of(),
                List.of(),
                List.of(slice, other)),
            KubeTranslator.Settings.DEFAULT);
    assertThat(result.problems()).isEmpty();
    MeshState state = MeshState.of(result.config(), 1);
    assertThat(state.endpoints(state.services().get(0)))
        .as("by targetRef and by address; not the unready one, nor an address outside the mesh")
        .extracting(Workload::name)
        .containsExactlyInAnyOrder("by-ref", "by-ip");
  }

  private static GenericKubernetesResource gateway(String ns, String name, String waypointFor) {
    var b =
        new io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder()
            .withApiVersion("gateway.networking.k8s.io/v1")
            .withKind("Gateway")
            .withNewMetadata()
            .withNamespace(ns)
            .withName(name);
    if (waypointFor != null) {
      b = b.addToLabels(KubeTranslator.WAYPOINT_FOR, waypointFor);
    }
    return b.endMetadata().build();
  }

  @Test
  void theWaypointsGatewaySaysWhetherItTakesServiceOrPodAddressedTraffic() throws Exception {
    java.util.function.Function<String, Namespace> ns =
        name ->
            new NamespaceBuilder(namespace(name, "ambient"))
                .editMetadata()
                .addToLabels(KubeTranslator.USE_WAYPOINT, "wp")
                .endMetadata()
                .build();
    java.util.function.Function<String, Service> svc =
        name ->
            new ServiceBuilder()
                .withNewMetadata()
                .withNamespace(name)
                .withName("echo")
                .endMetadata()
                .withNewSpec()
                .withClusterIP("10.96.1." + name.length())
                .addNewPort()
                .withPort(80)
                .endPort()
                .endSpec()
                .build();
    List<String> types = List.of("default", "service", "workload", "all", "none", "missing");
    List<Namespace> namespaces = new java.util.ArrayList<>();
    List<Pod> pods = new java.util.ArrayList<>();
    List<Service> services = new java.util.ArrayList<>();
    List<GenericKubernetesResource> gateways = new java.util.ArrayList<>();
    int ip = 10;
    for (String t : types) {
      namespaces.add(ns.apply(t));
      pods.add(pod(t, "by-ns", "10.244.2." + ip++).build());
      pods.add(
          pod(t, "own-label", "10.244.2." + ip++)
              .editMetadata()
              .addToLabels(KubeTranslator.USE_WAYPOINT, "wp")
              .endMetadata()
              .build());
      services.add(svc.apply(t));
      if (!t.equals("missing")) {
        gateways.add(gateway(t, "wp", t.equals("default") ? null : t));
      }
    }
    var result =
        KubeTranslator.translate(
            new ClusterObjects(namespaces, pods, services, List.of(), gateways, List.of()),
            KubeTranslator.Settings.DEFAULT);
    assertThat(result.problems()).isEmpty();

    Map<String, Boolean> serviceBound =
        result.config().services().stream()
            .collect(Collectors.toMap(s -> s.namespace(), s -> s.waypoint() != null));
    Map<String, Boolean> podBound =
        result.config().workloads().stream()
            .collect(
                Collectors.toMap(w -> w.namespace() + "/" + w.name(), w -> w.waypoint() != null));
    assertThat(serviceBound)
        .containsExactlyInAnyOrderEntriesOf(
            Map.of(
                "default", true,
                "service", true,
                "workload", false,
                "all", true,
                "none", false,
                // Fails closed: ztunnel refuses the service's traffic until the waypoint exists.
                "missing", true));
    Map<String, Boolean> expectedPods = new java.util.HashMap<>();
    for (String t : types) {
      boolean takesPods = t.equals("workload") || t.equals("all");
      expectedPods.put(t + "/by-ns", takesPods);
      // A pod naming a waypoint that does not exist yet fails closed too.
      expectedPods.put(t + "/own-label", takesPods || t.equals("missing"));
    }
    assertThat(podBound).containsExactlyInAnyOrderEntriesOf(expectedPods);
  }

  @Test
  void allowFromWaypointAdmitsTheWaypointIdentityOnExactlyTheWorkloadsBehindIt() throws Exception {
    java.util.function.BiFunction<String, Map<String, String>, Service> svc =
        (name, labels) ->
            new ServiceBuilder()
                .withNewMetadata()
                .withNamespace("mesh")
                .withName(name)
                .withLabels(labels)
                .endMetadata()
                .withNewSpec()
                .withClusterIP("10.96.0." + (20 + name.length()))
                .withSelector(Map.of("app", name))
                .addNewPort()
                .withPort(80)
                .endPort()
                .endSpec()
                .build();
    ClusterObjects objects =
        new ClusterObjects(
            List.of(namespace("mesh", "ambient")),
            List.of(
                pod("mesh", "waypoint-1", "10.244.1.2").build(),
                pod("mesh", "echo-1", "10.244.1.3").build(),
                pod("mesh", "other-1", "10.244.1.4").build()),
            List.of(
                svc.apply("waypoint", Map.of(KubeTranslator.GATEWAY_NAME, "waypoint")),
                svc.apply("echo", Map.of(KubeTranslator.USE_WAYPOINT, "waypoint")),
                svc.apply("other", Map.of())),
            List.of());

    assertThat(
            KubeTranslator.translate(objects, KubeTranslator.Settings.DEFAULT).config().policies())
        .as("off by default, as in Istio")
        .isEmpty();
    var result =
        KubeTranslator.translate(
            objects, KubeTranslator.Settings.DEFAULT.withAllowFromWaypoint(true));
    assertThat(result.problems()).isEmpty();
    dev.ambient.api.model.MeshState state = dev.ambient.api.model.MeshState.of(result.config(), 1);
    var policy = state.policies().get(0);
    assertThat(policy.resourceName()).isEqualTo("mesh/istio_allow_waypoint_mesh_waypoint");
    assertThat(policy.rules().get(0).clauses().get(0).matches().get(0).principals())
        .containsExactly(
            new dev.ambient.api.authz.StringMatch.Exact("cluster.local/ns/mesh/sa/sa-waypoint-1"));
    Map<String, Workload> byName =
        state.workloads().stream().collect(Collectors.toMap(Workload::name, w -> w));
    assertThat(state.policiesFor(byName.get("echo-1"))).containsExactly(policy);
    assertThat(state.policiesFor(byName.get("other-1"))).isEmpty();
    assertThat(state.policiesFor(byName.get("waypoint-1"))).isEmpty();
  }

  @Test
  void aNamedTargetPortIsTheNumberItsPodsGiveTheName() throws Exception {
    java.util.function.Function<String, Service> svc =
        app ->
            new ServiceBuilder()
                .withNewMetadata()
                .withNamespace("mesh")
                .withName(app)
                .endMetadata()
                .withNewSpec()
                .withClusterIP("10.96.0.2" + app.length())
                .addToSelector("app", app)
                .addNewPort()
                .withPort(80)
                .withTargetPort(new IntOrString("http"))
                .endPort()
                .endSpec()
                .build();
    java.util.function.BiFunction<String, Integer, Pod> withPort =
        (name, number) ->
            pod("mesh", name, "10.244.1." + (10 + name.length() + number % 7))
                .editSpec()
                .addNewContainer()
                .withName("c")
                .addNewPort()
                .withName("http")
                .withContainerPort(number)
                .endPort()
                .endContainer()
                .endSpec()
                .build();

    var agreed =
        translate(
            List.of(namespace("mesh", "ambient")),
            List.of(withPort.apply("echo-1", 3000), withPort.apply("echo-2", 3000)),
            List.of(svc.apply("echo")),
            List.of());
    assertThat(agreed.problems()).isEmpty();
    assertThat(agreed.config().services().get(0).port(80).targetPort()).isEqualTo(3000);

    // Pods of one Service disagreeing: not expressible yet, so refused naming the field.
    var disagreed =
        translate(
            List.of(namespace("mesh", "ambient")),
            List.of(withPort.apply("echo-1", 3000), withPort.apply("echo-2", 3001)),
            List.of(svc.apply("echo")),
            List.of());
    assertThat(disagreed.problems())
        .anySatisfy(p -> assertThat(p).contains("mesh/echo").contains("ports[0].targetPort"));
  }
}
