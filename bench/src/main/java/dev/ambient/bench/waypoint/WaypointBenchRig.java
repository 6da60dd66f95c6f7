package dev.ambient.bench.waypoint;

import dev.ambient.api.config.MeshConfigLoader;
import dev.ambient.api.model.InvalidMeshConfigException;
import dev.ambient.api.model.MeshState;
import dev.ambient.api.model.Workload;
import dev.ambient.controller.ca.CertificateAuthority;
import dev.ambient.controller.ca.RootStore;
import dev.ambient.controller.waypoint.CaWaypointCertificates;
import dev.ambient.controller.waypoint.ProtocolPolicy;
import dev.ambient.controller.waypoint.RouteTables;
import dev.ambient.controller.waypoint.WaypointPublisher;
import dev.ambient.controller.waypoint.WaypointTranslator;
import dev.ambient.controller.waypoint.authz.WaypointPolicies;
import dev.ambient.controller.waypoint.process.WaypointProcess;
import dev.ambient.controller.waypoint.xds.WaypointXdsServer;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPRoute;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * The control-plane side of {@code mesh bench waypoint}: one waypoint Envoy configured over ADS by
 * the controller's own waypoint code, as the local mode would run it.
 *
 * <p>Why a rig and not {@code mesh controller serve}: the local (mesh YAML) mode of the controller
 * serves ztunnel discovery only; waypoint ADS in local mode exists as {@link WaypointXdsServer}
 * (what the Envoy tests use), and pod mode needs Kubernetes. The rig wires exactly those production
 * pieces: the mesh YAML through {@link MeshConfigLoader}, one HTTPRoute through {@link
 * RouteTables}, {@link WaypointPublisher} with {@link CaWaypointCertificates} signing with the root
 * of the same CA state directory that {@code mesh ca serve} uses for the ztunnels (so the waypoint
 * and the ztunnels trust each other), {@link WaypointXdsServer} on loopback and {@link
 * WaypointProcess} (Envoy 1.40, {@code --concurrency 1}).
 *
 * <p>Run it inside the waypoint's network namespace: Envoy inherits it (its HBONE listener binds
 * the waypoint address there) and the ADS port on 127.0.0.1 is private to that namespace. Once
 * Envoy has accepted the configuration the rig writes {@code --ready-file} ({@code envoy_pid=},
 * {@code admin=}, {@code version=} lines), then runs until SIGTERM, which stops Envoy; it exits 1
 * if Envoy dies.
 */
public final class WaypointBenchRig {
  private static final Duration ACCEPT_TIMEOUT = Duration.ofSeconds(60);

  private WaypointBenchRig() {}

  public static void main(String[] args) throws Exception {
    RigOptions o;
    try {
      o = RigOptions.parse(args);
    } catch (IllegalArgumentException e) {
      System.err.println("waypoint bench rig: " + e.getMessage());
      System.err.println(RigOptions.USAGE);
      System.exit(2);
      return;
    }
    System.exit(run(o));
  }

  static int run(RigOptions o) throws Exception {
    MeshState state;
    try {
      state = MeshConfigLoader.loadState(o.mesh(), 1);
    } catch (InvalidMeshConfigException | IOException e) {
      System.err.println("waypoint bench rig: --mesh " + o.mesh() + ": " + e.getMessage());
      return 2;
    }
    String uid = "Kubernetes//Pod/" + o.waypoint();
    Workload waypoint = state.workloadByUid(uid);
    if (waypoint == null) {
      System.err.println(
          "waypoint bench rig: --waypoint "
              + o.waypoint()
              + ": no workload "
              + uid
              + " in "
              + o.mesh());
      return 2;
    }
    HTTPRoute route;
    try {
      route = new KubernetesSerialization().unmarshal(Files.readString(o.route()), HTTPRoute.class);
    } catch (IOException | RuntimeException e) {
      // fabric8 reports YAML that does not bind as an unchecked exception.
      System.err.println(
          "waypoint bench rig: --route " + o.route() + ": not an HTTPRoute: " + e.getMessage());
      return 2;
    }
    if (route == null || route.getMetadata() == null || route.getSpec() == null) {
      System.err.println(
          "waypoint bench rig: --route "
              + o.route()
              + ": an HTTPRoute needs metadata (name, namespace) and spec");
      return 2;
    }
    RouteTables.Result routes = RouteTables.translate(List.of(route), state, "cluster.local");
    if (!routes.problems().isEmpty()) {
      System.err.println("waypoint bench rig: --route " + o.route() + ": " + routes.problems());
      return 2;
    }
    // RootStore would make a new root in an empty directory: a waypoint no ztunnel trusts.
    if (!Files.exists(o.caState().resolve(RootStore.ROOT_CERT))) {
      System.err.println(
          "waypoint bench rig: --ca-state "
              + o.caState()
              + ": no "
              + RootStore.ROOT_CERT
              + "; start `mesh ca serve` with this state dir first");
      return 2;
    }
    String trustDomain = waypoint.identity().trustDomain();
    CertificateAuthority ca =
        new CertificateAuthority(
            RootStore.open(o.caState(), trustDomain), trustDomain, Duration.ofHours(24));

    WaypointXdsServer xds =
        WaypointXdsServer.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
    WaypointProcess envoy = null;
    try {
      String node = WaypointTranslator.nodeId(waypoint);
      envoy =
          WaypointProcess.start(
              o.envoy(),
              Files.createDirectories(o.workDir()),
              node,
              xds.address(),
              xds.register(node));
      WaypointPublisher publisher =
          new WaypointPublisher(
              xds,
              new CaWaypointCertificates(ca, Duration.ofHours(24)),
              ProtocolPolicy.ALL_HTTP,
              uid,
              Clock.systemUTC());
      String version = publisher.apply(state, routes.tables(), WaypointPolicies.NONE);
      if (version == null) {
        System.err.println("waypoint bench rig: the mesh did not translate for " + node);
        return 1;
      }
      Instant until = Instant.now().plus(ACCEPT_TIMEOUT);
      while (!version.equals(xds.acceptedVersion(node))) {
        if (!envoy.isAlive() || Instant.now().isAfter(until)) {
          System.err.println(
              "waypoint bench rig: Envoy did not accept version "
                  + version
                  + " (log "
                  + envoy.log()
                  + ")");
          return 1;
        }
        Thread.sleep(50);
      }
      InetSocketAddress admin = envoy.adminAddress(ACCEPT_TIMEOUT);
      writeReady(
          o.readyFile(),
          "envoy_pid="
              + envoy.pid()
              + "\nadmin="
              + admin.getHostString()
              + ":"
              + admin.getPort()
              + "\nversion="
              + version
              + "\n");
      WaypointProcess running = envoy;
      WaypointXdsServer server = xds;
      Runtime.getRuntime()
          .addShutdownHook(
              new Thread(
                  () -> {
                    running.close();
                    try {
                      server.close();
                    } catch (InterruptedException e) {
                      Thread.currentThread().interrupt();
                    }
                  },
                  "waypoint-bench-rig-stop"));
      int exit = envoy.waitFor();
      System.err.println("waypoint bench rig: Envoy exited with " + exit);
      return 1;
    } catch (Exception | Error e) {
      if (envoy != null) {
        envoy.close();
      }
      xds.close();
      throw e;
    }
  }

  /** Whole or not at all: the suite polls for the file and must never read half of it. */
  private static void writeReady(Path file, String content) throws IOException {
    Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
    Files.writeString(tmp, content);
    Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
  }
}
