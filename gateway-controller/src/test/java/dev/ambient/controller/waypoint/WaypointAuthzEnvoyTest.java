package dev.ambient.controller.waypoint;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ambient.api.authz.AuthorizationPolicy;
import dev.ambient.api.authz.Clause;
import dev.ambient.api.authz.Match;
import dev.ambient.api.authz.Rule;
import dev.ambient.api.authz.StringMatch;
import dev.ambient.api.model.MeshConfig;
import dev.ambient.api.model.MeshState;
import dev.ambient.api.model.Workload;
import dev.ambient.controller.waypoint.authz.WaypointPolicies;
import dev.ambient.controller.waypoint.authz.WaypointPolicyTranslator;
import dev.ambient.ztunnel.authz.L4Authorizer;
import dev.ambient.ztunnel.testing.SocksClient;
import dev.ambient.ztunnel.testing.TestAddresses;
import dev.ambient.ztunnel.testing.TestMesh;
import dev.ambient.ztunnel.testing.ZtunnelPair;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * AuthorizationPolicies enforced by a real Envoy waypoint (RBAC on the peer identity the HBONE
 * terminate listener put in filter state), and the destination ztunnel admitting only the
 * waypoint's identity so that a client going straight to the pod is refused.
 */
@Tag("envoy")
class WaypointAuthzEnvoyTest extends WaypointEnvoyTestBase {
  private static final KubernetesSerialization YAML = new KubernetesSerialization();

  private final List<Socket> sockets = new ArrayList<>();

  @AfterEach
  void closeSockets() throws Exception {
    for (Socket s : sockets) {
      s.close();
    }
  }

  private static GenericKubernetesResource policy(String name, String spec) {
    return YAML.unmarshal(
        "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\n"
            + "metadata: {namespace: default, name: "
            + name
            + "}\nspec:\n"
            + spec,
        GenericKubernetesResource.class);
  }

  /** Translates valid policies for the fixture's waypoint and publishes the model with them. */
  private void publish(GenericKubernetesResource... policies) throws Exception {
    assertThat(publishAny(policies).problems()).isEmpty();
  }

  /** As {@link #publish}, returning the translation (with its problems). */
  private WaypointPolicies publishAny(GenericKubernetesResource... policies) throws Exception {
    WaypointPolicies translated =
        WaypointPolicyTranslator.translate(
            List.of(policies), "default", "waypoint", WaypointPolicyTranslator.Settings.DEFAULT);
    WaypointModel model =
        WaypointTranslator.translate(
            f.state,
            f.waypoint.uid(),
            (service, port) ->
                service.name().equals("tcp-echo") ? ServiceProtocol.TCP : ServiceProtocol.HTTP,
            Map.of(),
            translated);
    f.publishAndWait(f.resources(model));
    return translated;
  }

  /** Another client workload on node A, with its own identity ({@code client2-sa}). */
  private Workload secondClient() {
    Workload w = TestMesh.workload("client2", ZtunnelPair.NODE_A, TestAddresses.next());
    f.pair.add(List.of(w), List.of());
    return w;
  }

  private Socket connectAs(Workload source, InetAddress dst, int port) throws IOException {
    Socket s =
        SocksClient.connect(
            source.addresses().get(0), f.pair.a.socks(), new InetSocketAddress(dst, port));
    sockets.add(s);
    return s;
  }

  @Test
  void aDenyOnAPathAnswers403WhileOtherPathsPass() throws Exception {
    publish(
        policy(
            "deny-admin",
            "  targetRefs: [{kind: Service, group: '', name: echo}]\n"
                + "  action: DENY\n"
                + "  rules: [{to: [{operation: {paths: ['/admin', '/admin/*']}}]}]"));

    Socket s = f.connect(f.vip, 80);
    Http1.Response denied = Http1.get(s, "echo.default.svc.cluster.local", "/admin");
    assertThat(denied.status()).isEqualTo(403);
    assertThat(denied.body()).isEqualTo("RBAC: access denied");
    Http1.Response sneaky = Http1.get(s, "echo.default.svc.cluster.local", "/x/../admin");
    assertThat(sneaky.status()).as("the path is normalized before policy").isEqualTo(403);
    Http1.Response ok = Http1.get(s, "echo.default.svc.cluster.local", "/");
    assertThat(ok.status()).isEqualTo(200);
    assertThat(f.backend.sawPath("/admin")).isFalse();

    Http1.Response other = Http1.get(f.connect(f.badVip, 80), "bad", "/admin");
    assertThat(other.status()).as("a Service target is that service only").isEqualTo(200);
  }

  @Test
  void denyWinsOverAllowAndAuditNeverDecides() throws Exception {
    String client = f.pair.client.identity().uri().substring("spiffe://".length());
    publish(
        policy(
            "allow-client",
            "  targetRefs: [{kind: Service, name: echo}]\n"
                + "  rules: [{from: [{source: {principals: ['"
                + client
                + "']}}]}]"),
        policy(
            "deny-admin",
            "  targetRefs: [{kind: Service, name: echo}]\n"
                + "  action: DENY\n"
                + "  rules: [{from: [{source: {principals: ['"
                + client
                + "']}}], to: [{operation: {paths: ['/admin*']}}]}]"),
        policy(
            "audit-all",
            "  targetRefs: [{group: gateway.networking.k8s.io, kind: Gateway, name: waypoint}]\n"
                + "  action: AUDIT\n"
                + "  rules: [{}]"));

    Socket s = f.connect(f.vip, 80);
    assertThat(Http1.get(s, "echo", "/admin/panel").status()).isEqualTo(403);
    assertThat(Http1.get(s, "echo", "/home").status()).isEqualTo(200);
  }

  @Test
  void aCustomPolicyFailsClosedForItsTargetOnly() throws Exception {
    WaypointPolicies translated =
        publishAny(
            policy(
                "ext",
                "  targetRefs: [{kind: Service, name: bad}]\n"
                    + "  action: CUSTOM\n"
                    + "  provider: {name: my-ext-authz}\n"
                    + "  rules: [{to: [{operation: {paths: ['/secured']}}]}]"));
    assertThat(translated.problems()).anyMatch(p -> p.contains("default/ext: spec.action: CUSTOM"));

    assertThat(Http1.get(f.connect(f.badVip, 80), "bad", "/open").status())
        .as("everything of the CUSTOM policy's target is denied")
        .isEqualTo(403);
    assertThat(Http1.get(f.connect(f.vip, 80), "echo", "/open").status()).isEqualTo(200);
  }

  @Test
  void thePublisherAppliesAPolicyChangeAlone() throws Exception {
    WaypointPublisher publisher = f.publisher();
    String first = publisher.apply(f.state);
    f.awaitAccepted(first);
    assertThat(Http1.get(f.connect(f.vip, 80), "echo", "/admin").status()).isEqualTo(200);

    WaypointPolicies deny =
        WaypointPolicyTranslator.translate(
            List.of(
                policy(
                    "deny-admin",
                    "  targetRefs: [{kind: Service, name: echo}]\n  action: DENY\n"
                        + "  rules: [{to: [{operation: {paths: ['/admin']}}]}]")),
            "default",
            "waypoint",
            WaypointPolicyTranslator.Settings.DEFAULT);
    String second = publisher.apply(f.state, deny);
    assertThat(second).as("same mesh, new policy: published").isNotNull();
    f.awaitAccepted(second);
    assertThat(Http1.get(f.connect(f.vip, 80), "echo", "/admin").status()).isEqualTo(403);
    assertThat(publisher.apply(f.state, deny)).as("nothing changed").isNull();
  }

  @Test
  void anAllowForOnePrincipalRefusesAnotherClientIdentity() throws Exception {
    Workload client2 = secondClient();
    publish(
        policy(
            "only-client2",
            "  targetRefs: [{group: gateway.networking.k8s.io, kind: Gateway, name: waypoint}]\n"
                + "  action: ALLOW\n"
                + "  rules: [{from: [{source: {principals: ['"
                + client2.identity().uri().substring("spiffe://".length())
                + "']}}]}]"));

    Http1.Response refused = Http1.get(f.connect(f.vip, 80), "echo", "/as-client");
    assertThat(refused.status()).isEqualTo(403);
    assertThat(refused.body()).isEqualTo("RBAC: access denied");
    assertThat(f.backend.sawPath("/as-client")).isFalse();

    Http1.Response allowed = Http1.get(connectAs(client2, f.vip, 80), "echo", "/as-client2");
    assertThat(allowed.status()).isEqualTo(200);
    assertThat(allowed.body()).isEqualTo("server /as-client2");
  }

  @Test
  void aNamespaceAndHeaderAllowWithNotFormsIsEnforced() throws Exception {
    publish(
        policy(
            "ns-and-header",
            "  targetRefs: [{kind: Service, name: echo}]\n"
                + "  rules:\n"
                + "  - from: [{source: {namespaces: ['def*'], notPrincipals: ['*/sa/nobody']}}]\n"
                + "    to: [{operation: {hosts: [Echo, '*.default.svc.cluster.local'], methods: [GET],"
                + " notPaths: ['/private*']}}]\n"
                + "    when: [{key: 'request.headers[user-agent]', values: ['wp-*']}]"));

    Socket s = f.connect(f.vip, 80);
    assertThat(Http1.get(s, "echo", "/public").status()).isEqualTo(200);
    assertThat(Http1.get(s, "echo", "/private/x").status()).isEqualTo(403);
    assertThat(Http1.get(s, "ECHO:80", "/public").status())
        .as("hosts compare case-insensitively, with or without a port")
        .isEqualTo(200);
    assertThat(Http1.get(s, "echo.default.svc.cluster.local:80", "/public").status())
        .isEqualTo(200);
    assertThat(Http1.get(s, "elsewhere", "/public").status()).isEqualTo(403);
  }

  @Test
  void aTcpServiceGetsTheL4PartAndL7OnlyAllowRulesDenyThere() throws Exception {
    String client = f.pair.client.identity().uri().substring("spiffe://".length());
    publish(
        policy(
            "tcp-by-principal",
            "  targetRefs: [{kind: Service, name: tcp-echo}]\n"
                + "  rules: [{from: [{source: {principals: ['"
                + client
                + "']}}], to: [{operation: {ports: ['9000']}}]}]"));
    assertThat(echoes(f.connect(f.tcpVip, 9000))).isTrue();

    publish(
        policy(
            "tcp-by-path",
            "  targetRefs: [{kind: Service, name: tcp-echo}]\n"
                + "  rules: [{to: [{operation: {paths: ['/']}}]}]"));
    assertThat(echoes(f.connect(f.tcpVip, 9000)))
        .as("an ALLOW rule that needs HTTP never matches on a TCP listener")
        .isFalse();
  }

  private static boolean echoes(Socket s) throws IOException {
    byte[] payload = "ping\n".getBytes(StandardCharsets.US_ASCII);
    try {
      s.getOutputStream().write(payload);
      s.getOutputStream().flush();
      byte[] back = s.getInputStream().readNBytes(payload.length);
      return java.util.Arrays.equals(back, payload);
    } catch (IOException e) {
      return false; // reset by the proxy
    }
  }

  @Test
  void theDestinationZtunnelAdmitsOnlyTheWaypointSoABypassingClientIsRefused() throws Exception {
    publish();
    assertThat(
            Http1.get(f.connect(f.pair.serverIp, f.backend.port()), "server", "/before").status())
        .as("without the policy the pod is reachable directly")
        .isEqualTo(200);
    // Istio's way to make the waypoint mandatory: an L4 ALLOW, enforced by the destination's
    // ztunnel, admitting only the waypoint's identity.
    AuthorizationPolicy onlyWaypoint =
        new AuthorizationPolicy(
            "only-via-waypoint",
            "default",
            AuthorizationPolicy.Scope.WORKLOAD_SELECTOR,
            AuthorizationPolicy.Action.ALLOW,
            Map.of("app", "server"),
            List.of(
                new Rule(
                    List.of(
                        new Clause(
                            List.of(
                                Match.principals(
                                    List.of(
                                        new StringMatch.Exact(
                                            f.waypoint
                                                .identity()
                                                .uri()
                                                .substring("spiffe://".length()))))))))),
            false);
    MeshConfig cfg = f.state.config();
    f.pair.b.apply(
        MeshState.of(
            new MeshConfig(cfg.workloads(), cfg.services(), List.of(onlyWaypoint)),
            System.nanoTime()));
    f.pair.b.authorizer.then = new L4Authorizer();

    Http1.Response viaWaypoint = Http1.get(f.connect(f.vip, 80), "echo", "/via-waypoint");
    assertThat(viaWaypoint.status()).isEqualTo(200);

    assertThatThrownBy(
            () ->
                Http1.get(
                    f.connect(f.pair.serverIp, f.backend.port()), "server", "/straight-to-pod"))
        .isInstanceOf(IOException.class);
    assertThat(f.backend.sawPath("/straight-to-pod")).isFalse();
  }
}
