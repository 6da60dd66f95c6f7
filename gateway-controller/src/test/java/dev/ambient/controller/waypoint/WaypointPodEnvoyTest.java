package dev.ambient.controller.waypoint;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ambient.api.model.GatewayAddress;
import dev.ambient.api.model.LoadBalancing;
import dev.ambient.api.model.MeshState;
import dev.ambient.api.model.Service;
import dev.ambient.api.model.TunnelProtocol;
import dev.ambient.api.model.Workload;
import dev.ambient.controller.ca.Caller;
import dev.ambient.controller.ca.CallerAuthInterceptor;
import dev.ambient.controller.ca.CallerAuthenticator;
import dev.ambient.controller.ca.CertificateAuthority;
import dev.ambient.controller.ca.Signer;
import dev.ambient.controller.ca.SigningMaterial;
import dev.ambient.controller.server.ControllerServer;
import dev.ambient.controller.waypoint.agent.AgentSettings;
import dev.ambient.controller.waypoint.agent.WaypointAgent;
import dev.ambient.controller.waypoint.process.EnvoyBinary;
import dev.ambient.controller.waypoint.xds.WaypointAuthorizer;
import dev.ambient.controller.waypoint.xds.WaypointDiscovery;
import dev.ambient.controller.waypoint.xds.WaypointResources;
import dev.ambient.controller.xds.SnapshotSource;
import dev.ambient.ztunnel.identity.Pem;
import dev.ambient.ztunnel.testing.TestAddresses;
import dev.ambient.ztunnel.testing.TestMesh;
import dev.ambient.ztunnel.testing.TestPki;
import dev.ambient.ztunnel.testing.ZtunnelPair;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPRoute;
import io.grpc.Metadata;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A waypoint as it runs in a pod, all in-process on 127.x addresses: the controller (its CA and the
 * combined ADS on one TLS port, as 15012) and the agent ({@code mesh waypoint run}'s {@link
 * WaypointAgent}) with its supervised real Envoy 1.40, between two real in-process ztunnels.
 *
 * <p>The one fake: TokenReview needs an API server (the lab), so the controller's authenticator
 * here maps one random test token to the pod's service account {@code default/waypoint-sa}, which
 * is what {@code TokenReviewAuthenticator} answers for a waypoint pod's projected token. Everything
 * after authentication is the real path: CSR with a key made in the agent, the CA's own-identity
 * rule, ADS over TLS verified against the root file and the controller's SPIFFE ID, the registry
 * check of the node id, SDS over the agent's unix socket.
 *
 * <p>The CA signs under the ztunnels' test root so both sides trust each other. The pod-mode
 * listener binds the waypoint's 127.x address here instead of 0.0.0.0 (other proxies share the
 * loopback); {@code WaypointPodResourcesTest} checks the 0.0.0.0 default.
 */
@Tag("envoy")
class WaypointPodEnvoyTest {
  private static final Duration WAIT = Duration.ofSeconds(30);
  private static final String ACCOUNT = "default/waypoint-sa";

  @TempDir Path tmp;
  private ZtunnelPair pair;
  private HttpBackend backend;
  private final InetAddress waypointIp = TestAddresses.next();
  private final InetAddress vip = TestAddresses.next();
  private final InetAddress controllerIp = TestAddresses.next();
  private final String podToken = "pod-token-" + UUID.randomUUID();
  private Workload waypoint;
  private MeshState state;
  private WaypointDiscovery discovery;
  private ControllerServer controller;
  private WaypointAgent agent;
  private Path envoyBinary;
  private Path root;
  private Path token;
  private WaypointModel model;
  private String version;
  private CertificateAuthority ca;

  /** Whether the fake TokenReview still accepts the pod's token (a projected token expires). */
  private volatile boolean tokenValid = true;

  @BeforeEach
  void start() throws Exception {
    Optional<Path> envoy = EnvoyBinary.find();
    if (envoy.isEmpty()) {
      System.out.println(EnvoyBinary.skipReason());
    }
    Assumptions.assumeTrue(envoy.isPresent(), EnvoyBinary.skipReason());
    pair = new ZtunnelPair();
    backend = new HttpBackend(pair.serverIp, "server");
    waypoint = TestMesh.workload("waypoint", "node-wp", waypointIp, TunnelProtocol.HBONE, null);
    Service echo =
        TestMesh.service("echo", vip, 80, backend.port(), LoadBalancing.ROUND_ROBIN, pair.server);
    echo =
        new Service(
            echo.name(),
            echo.namespace(),
            echo.hostname(),
            echo.vips(),
            echo.ports(),
            echo.endpoints(),
            echo.loadBalancing(),
            GatewayAddress.ofAddress(waypointIp),
            echo.subjectAltNames());
    pair.add(List.of(waypoint), List.of(echo));
    state = TestMesh.state(List.of(pair.client, pair.server, waypoint), List.of(echo));

    ca = new CertificateAuthority(pkiSigner(pair.pki), TestMesh.TRUST_DOMAIN, Duration.ofHours(1));
    discovery =
        WaypointDiscovery.forServiceAccounts(
            CallerAuthInterceptor.WORKLOAD,
            new WaypointAuthorizer(
                node -> Optional.ofNullable(Map.of("default/waypoint", ACCOUNT).get(node))));
    controller =
        ControllerServer.start(
            new ControllerServer.Settings(new InetSocketAddress(controllerIp, 0), null),
            fixed(state),
            ca,
            fakeTokenReview(),
            discovery);

    envoyBinary = envoy.get();
    root = Files.writeString(tmp.resolve("root-cert.pem"), Pem.certificate(pair.pki.root()));
    token = Files.writeString(tmp.resolve("istio-token"), podToken + "\n");
    model = WaypointTranslator.translate(state, waypoint.uid(), (s, p) -> ServiceProtocol.HTTP);
    version = discovery.publish(model.name(), WaypointResources.forPod(model, waypointIp));
  }

  /** The agent in-process (what {@code mesh waypoint run} starts), ready and configured. */
  private void startAgent() throws Exception {
    agent =
        WaypointAgent.start(
            new AgentSettings(
                "default",
                "waypoint",
                controllerIp.getHostAddress(),
                controller.port(),
                root,
                token,
                envoyBinary,
                tmp.resolve("agent"),
                TestMesh.TRUST_DOMAIN,
                "default",
                "waypoint-7d9f-abcde",
                "waypoint-sa",
                new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
                Duration.ofHours(1)));
    await(
        () -> version.equals(discovery.acceptedVersion(model.name())),
        "Envoy to accept " + version);
    await(agent::isReady, "the agent to report ready");
  }

  @AfterEach
  void stop() throws Exception {
    if (agent != null) {
      agent.close();
    }
    if (controller != null) {
      controller.close();
    }
    if (discovery != null) {
      discovery.close();
    }
    if (backend != null) {
      backend.close();
    }
    if (pair != null) {
      pair.close();
    }
  }

  @Test
  void trafficPassesThroughTheAgentsEnvoyWithTheAgentMadeCertificate() throws Exception {
    startAgent();
    try (Socket s = pair.connect(new InetSocketAddress(vip, 80))) {
      Http1.Response r = Http1.get(s, "echo.default.svc.cluster.local", "/hello");
      assertThat(r.status()).isEqualTo(200);
      assertThat(r.body()).isEqualTo("server /hello");
    }
    X509Certificate leaf = agent.certificate().leaf();
    assertThat(agent.certificate().identity()).isEqualTo(waypoint.identity());
    // Envoy serves the certificate the agent obtained (admin /certs lists serials in hex).
    assertThat(admin("/certs")).contains(leaf.getSerialNumber().toString(16));
  }

  @Test
  void afterAControllerRestartEnvoyResyncsWithItsCertificateWhenItsTokenHasExpired()
      throws Exception {
    startAgent();
    assertThat(echo("/before").status()).isEqualTo(200);
    int port = controller.port();
    tokenValid = false; // the projected token expired meanwhile
    controller.close();

    // Envoy keeps serving its last configuration while the controller is away.
    assertThat(echo("/while-down").status()).isEqualTo(200);

    controller =
        ControllerServer.start(
            new ControllerServer.Settings(new InetSocketAddress(controllerIp, port), null),
            fixed(state),
            ca,
            fakeTokenReview(),
            discovery);
    HTTPRoute route = TestRoutes.echoSettingHeader("x-config", "after-restart");
    WaypointModel next =
        WaypointTranslator.translate(
            state,
            waypoint.uid(),
            (s, p) -> ServiceProtocol.HTTP,
            RouteTables.build(List.of(route), state, "cluster.local"));
    String v2 = discovery.publish(next.name(), WaypointResources.forPod(next, waypointIp));
    await(() -> v2.equals(discovery.acceptedVersion(next.name())), "Envoy to accept " + v2);

    assertThat(echo("/after").status()).isEqualTo(200);
    assertThat(backend.last("/after").headers()).containsEntry("x-config", "after-restart");
  }

  private Http1.Response echo(String path) throws Exception {
    try (Socket s = pair.connect(new InetSocketAddress(vip, 80))) {
      return Http1.get(s, "echo.default.svc.cluster.local", path);
    }
  }

  @Test
  void theKeyAppearsNeitherInTheConfigDumpNorOnDisk() throws Exception {
    startAgent();
    String dump = admin("/config_dump?include_eds");
    assertThat(dump)
        .contains("connect_terminate", "agent_sds", "wp-cert")
        .doesNotContain("PRIVATE KEY");
    Path dir = agent.workDir();
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir)))
        .isEqualTo("rwx------");
    Path bootstrap = dir.resolve("bootstrap.json");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(bootstrap)))
        .isEqualTo("rw-------");
    try (var files = Files.list(dir)) {
      for (Path p : files.toList()) {
        if (Files.isRegularFile(p)) {
          assertThat(Files.readString(p)).as(p.toString()).doesNotContain("PRIVATE KEY");
        }
      }
    }
  }

  @Test
  void readinessFollowsEnvoyAndADeadEnvoyIsRestarted() throws Exception {
    startAgent();
    InetSocketAddress ready = agent.readinessAddress();
    assertThat(get("http://127.0.0.1:" + ready.getPort() + "/healthz/ready").statusCode())
        .isEqualTo(200);

    long pid = agent.envoy().pid();
    ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
    await(() -> agent.envoyStarts() == 2 && agent.isReady(), "Envoy restarted and ready");
    assertThat(agent.envoy().pid()).isNotEqualTo(pid);

    try (Socket s = pair.connect(new InetSocketAddress(vip, 80))) {
      assertThat(Http1.get(s, "echo.default.svc.cluster.local", "/again").status()).isEqualTo(200);
    }

    // What SIGTERM runs: Envoy is stopped with the agent, and the SDS socket is gone.
    long last = agent.envoy().pid();
    Path socket = agent.workDir().resolve("sds.sock");
    agent.close();
    assertThat(ProcessHandle.of(last).map(ProcessHandle::isAlive).orElse(false)).isFalse();
    assertThat(socket).doesNotExist();
  }

  @Test
  void theCommandStopsEnvoyAndExitsNonZeroOnSigterm() throws Exception {
    int readyPort;
    try (java.net.ServerSocket probe =
        new java.net.ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      readyPort = probe.getLocalPort();
    }
    ProcessBuilder pb =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp",
                System.getProperty("java.class.path"),
                "dev.ambient.controller.cli.MeshCommand",
                "waypoint",
                "run",
                "--gateway",
                "default/waypoint",
                "--controller-address",
                controllerIp.getHostAddress() + ":" + controller.port(),
                "--ca-root",
                root.toString(),
                "--token-file",
                token.toString(),
                "--envoy-binary",
                envoyBinary.toString(),
                "--work-dir",
                tmp.resolve("cmd").toString(),
                "--readiness-listen",
                "127.0.0.1:" + readyPort)
            .redirectErrorStream(true)
            .redirectOutput(tmp.resolve("waypoint-run.log").toFile());
    pb.environment().put("POD_NAMESPACE", "default");
    pb.environment().put("POD_NAME", "waypoint-cmd");
    pb.environment().put("SERVICE_ACCOUNT", "waypoint-sa");
    Process p = pb.start();
    List<ProcessHandle> children = new java.util.ArrayList<>();
    try {
      await(
          () -> status("http://127.0.0.1:" + readyPort + "/healthz/ready") == 200,
          "mesh waypoint run to report ready");
      p.descendants().forEach(children::add);
      assertThat(children)
          .as("Envoy runs under the agent")
          .anyMatch(h -> h.info().command().orElse("").endsWith("envoy"));

      p.destroy(); // SIGTERM
      assertThat(p.waitFor(60, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
      assertThat(p.exitValue()).as("a signal is never a clean exit").isEqualTo(143);
      assertThat(children).noneMatch(ProcessHandle::isAlive);
      assertThat(Files.readString(tmp.resolve("waypoint-run.log"))).doesNotContain("PRIVATE KEY");
    } finally {
      p.destroyForcibly();
      children.forEach(ProcessHandle::destroyForcibly);
    }
  }

  private static int status(String url) {
    try {
      return get(url).statusCode();
    } catch (Exception e) {
      return -1;
    }
  }

  private String admin(String path) throws Exception {
    InetSocketAddress a = agent.envoyAdmin();
    return get("http://127.0.0.1:" + a.getPort() + path).body();
  }

  private static HttpResponse<String> get(String url) throws Exception {
    return HttpClient.newHttpClient()
        .send(
            HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString());
  }

  /** Stands in for TokenReview: the pod's token is its service account; nothing else is known. */
  private CallerAuthenticator fakeTokenReview() {
    Metadata.Key<String> auth = Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);
    return new CallerAuthenticator() {
      @Override
      public Optional<String> nodeFor(Metadata headers) {
        return Optional.empty();
      }

      @Override
      public Optional<Caller> callerFor(Metadata headers) {
        return tokenValid && ("Bearer " + podToken).equals(headers.get(auth))
            ? Optional.of(Caller.serviceAccount(ACCOUNT))
            : Optional.empty();
      }
    };
  }

  private static SigningMaterial pkiSigner(TestPki pki) {
    Signer signer = new Signer(pki.rootKey(), pki.root(), List.of());
    return new SigningMaterial() {
      @Override
      public Signer signer() {
        return signer;
      }

      @Override
      public List<X509Certificate> trustBundle() {
        return List.of(pki.root());
      }

      @Override
      public String describe() {
        return "the test PKI's root";
      }
    };
  }

  private static SnapshotSource fixed(MeshState state) {
    return new SnapshotSource() {
      @Override
      public MeshState current() {
        return state;
      }

      @Override
      public void onChange(Consumer<MeshState> listener) {}

      @Override
      public void close() {}
    };
  }

  private static void await(java.util.function.BooleanSupplier condition, String what)
      throws InterruptedException {
    long until = System.nanoTime() + WAIT.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > until) {
        throw new AssertionError("timed out waiting for " + what);
      }
      Thread.sleep(50);
    }
  }
}
