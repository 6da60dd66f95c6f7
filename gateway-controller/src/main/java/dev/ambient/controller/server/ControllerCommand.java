package dev.ambient.controller.server;

import dev.ambient.api.config.CliValues;
import dev.ambient.api.model.InvalidMeshConfigException;
import dev.ambient.controller.ca.CaOptions;
import dev.ambient.controller.ca.CaRootSecret;
import dev.ambient.controller.ca.CaStateException;
import dev.ambient.controller.ca.TokenReviewAuthenticator;
import dev.ambient.controller.gateway.WaypointFleet;
import dev.ambient.controller.gateway.WaypointGatewayController;
import dev.ambient.controller.gateway.WaypointManifests;
import dev.ambient.controller.kube.KubeTranslator;
import dev.ambient.controller.kube.KubernetesSnapshotSource;
import dev.ambient.controller.kube.TrustBundlePublisher;
import dev.ambient.controller.routes.RouteStatusController;
import dev.ambient.controller.wasm.WasmModules;
import dev.ambient.controller.wasm.WasmPluginController;
import dev.ambient.controller.waypoint.ProtocolPolicy;
import dev.ambient.controller.waypoint.authz.WaypointPolicyTranslator;
import dev.ambient.controller.waypoint.xds.WaypointDiscovery;
import dev.ambient.controller.xds.LocalSnapshotSources;
import dev.ambient.controller.xds.PlaintextXdsServer;
import dev.ambient.controller.xds.SnapshotSource;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeoutException;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code mesh controller serve}: the control plane (workload discovery and the CA). */
@Command(
    name = "controller",
    mixinStandardHelpOptions = true,
    description = "The control plane: workload discovery (delta ADS) and the CA.",
    subcommands = {ControllerCommand.Serve.class})
public final class ControllerCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    spec.commandLine().usage(spec.commandLine().getOut());
    return 0;
  }

  @Command(
      name = "serve",
      mixinStandardHelpOptions = true,
      description =
          "Serve workload discovery and the CA over gRPC/TLS 1.3 on one port (default"
              + " 127.0.0.1:15012), from a mesh YAML file reloaded on change.")
  static final class Serve implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Mixin CaOptions caOptions;

    /** Where the mesh comes from: a local YAML source or a Kubernetes cluster. */
    static final class Source {
      @Option(
          names = "--config",
          required = true,
          description =
              "Mesh YAML file, or a directory of them merged into one mesh (reloaded on change; a"
                  + " bad edit keeps the last good snapshot).")
      Path config;

      @Option(
          names = "--store",
          required = true,
          description =
              "Take the mesh from a local object store (Kubernetes-kind YAML written by `mesh"
                  + " apply -f`): Namespaces, Pods, Services, Gateways, HTTPRoutes, GRPCRoutes and"
                  + " AuthorizationPolicies, watched; status is written back into the store.")
      Path store;

      @Option(
          names = "--kubeconfig",
          required = true,
          description =
              "Take the mesh from the Kubernetes cluster of this kubeconfig: Namespaces, Pods,"
                  + " Services and AuthorizationPolicies, watched; invalid objects are left out"
                  + " with a Warning Event.")
      Path kubeconfig;

      @Option(
          names = "--in-cluster",
          required = true,
          description =
              "Like --kubeconfig, for the controller running in a pod: its service account's"
                  + " token and the KUBERNETES_SERVICE_HOST/PORT environment.")
      boolean inCluster;
    }

    @ArgGroup(exclusive = true, multiplicity = "1")
    Source from;

    @Option(
        names = "--node-accounts",
        split = ",",
        defaultValue = "istio-system/ztunnel",
        description =
            "With --kubeconfig: service accounts (<ns>/<name>) whose pod-bound tokens may ask for"
                + " the certificates and config of their node's workloads. Default: ${DEFAULT-VALUE}")
    List<String> nodeAccounts;

    @Option(
        names = "--token-audience",
        defaultValue = TokenReviewAuthenticator.DEFAULT_AUDIENCE,
        description =
            "With --kubeconfig: the audience callers' tokens must carry. Default: ${DEFAULT-VALUE}")
    String tokenAudience;

    @Option(
        names = "--allow-from-waypoint",
        description =
            "With --kubeconfig/--in-cluster: give every workload behind a waypoint an L4 ALLOW"
                + " policy for the waypoint's identity (Istio's PILOT_AUTO_ALLOW_WAYPOINT_POLICY),"
                + " so its ztunnel refuses clients that bypass the waypoint. Off by default, as"
                + " in Istio: it also refuses every other client of those workloads.")
    boolean allowFromWaypoint;

    @Option(
        names = "--waypoint-image",
        defaultValue = "ghcr.io/ambient-mesh/waypoint:0.1.0",
        description =
            "With --kubeconfig/--in-cluster: the image of the waypoint Deployments made for"
                + " waypoint Gateways. Default: ${DEFAULT-VALUE}")
    String waypointImage;

    @Option(
        names = "--waypoint-controller-address",
        defaultValue = "ambient-controller.istio-system.svc:15012",
        description =
            "With --kubeconfig/--in-cluster: where waypoint pods reach this controller (CA and"
                + " xDS, TLS). Default: ${DEFAULT-VALUE}")
    String waypointControllerAddress;

    @Option(
        names = "--waypoint-node",
        description =
            "With --store: NODE=NETNS, a node whose bridge (in network namespace NETNS, as `mesh"
                + " netns up` makes them) local waypoints attach to; repeatable, the first is"
                + " used. Local waypoints need root and Envoy.")
    List<String> waypointNodes = new ArrayList<>();

    private LocalStoreMode localMode;
    private KubernetesClient kubeClient;
    private WaypointDiscovery waypointDiscovery;
    private KubernetesSnapshotSource kubeSource;
    private WaypointGatewayController waypointGateways;

    @Option(
        names = "--listen-ip",
        defaultValue = "127.0.0.1",
        description = "Address the ports listen on. Default: ${DEFAULT-VALUE}")
    String listenIp;

    @Option(
        names = "--xds-port",
        defaultValue = "15012",
        description = "TLS port for discovery and the CA. Default: ${DEFAULT-VALUE}")
    int xdsPort;

    @Option(
        names = "--plaintext",
        description = "Also serve discovery without TLS (development only).")
    boolean plaintext;

    @Option(
        names = "--plaintext-port",
        defaultValue = "" + PlaintextXdsServer.DEFAULT_PORT,
        description = "Port of --plaintext. Default: ${DEFAULT-VALUE}")
    int plaintextPort;

    @Override
    public Integer call() throws Exception {
      PrintWriter out = spec.commandLine().getOut();
      PrintWriter err = spec.commandLine().getErr();
      ControllerServer server;
      try {
        InetAddress ip = CliValues.hostPort("--listen-ip", listenIp + ":1").getAddress();
        port("--xds-port", xdsPort);
        port("--plaintext-port", plaintextPort);
        SnapshotSource source = openSource();
        CaOptions.Opened ca;
        try {
          if (kubeClient != null) {
            CaRootSecret.prepare(
                kubeClient, KubeTranslator.Settings.DEFAULT.rootNamespace(), caOptions);
          }
          ca = caOptions.open();
          if (kubeSource != null) {
            // As istiod: the trust bundle in ConfigMap istio-ca-root-cert, in the mesh's
            // namespace (for ztunnels) and in every namespace with a waypoint (for its pods).
            String namespace = System.getenv().getOrDefault("POD_NAMESPACE", "istio-system");
            kubeSource.alsoClosing(
                TrustBundlePublisher.start(
                    kubeClient,
                    () -> {
                      Set<String> namespaces = new TreeSet<>();
                      namespaces.add(namespace);
                      if (waypointGateways != null) {
                        waypointGateways.waypoints().forEach(gw -> namespaces.add(gw.namespace()));
                      }
                      return namespaces;
                    },
                    ca.bundlePath(),
                    Duration.ofSeconds(10)));
          }
        } catch (CaStateException | RuntimeException e) {
          source.close();
          throw e;
        }
        server =
            ControllerServer.start(
                new ControllerServer.Settings(
                    new InetSocketAddress(ip, xdsPort),
                    plaintext ? new InetSocketAddress(ip, plaintextPort) : null),
                source,
                ca.ca(),
                kubeClient == null
                    ? (localMode != null ? localMode.authenticator(ca.tokens()) : ca.tokens())
                    : new TokenReviewAuthenticator(
                        kubeClient,
                        tokenAudience,
                        Set.copyOf(nodeAccounts),
                        Clock.systemUTC(),
                        // Waypoint pods ask the CA for their own identity with their own token.
                        true),
                waypointDiscovery);
        if (localMode != null) {
          localMode.serverStarted(new InetSocketAddress(ip, server.port()), ca.bundlePath());
        }
        ca.describe(out);
      } catch (CaStateException
          | IllegalArgumentException
          | InvalidMeshConfigException
          | IOException e) {
        err.println("controller serve: " + e.getMessage());
        return 1;
      }
      Thread hook = new Thread(server::close, "controller-shutdown");
      Runtime.getRuntime().addShutdownHook(hook);
      out.println(
          "controller config: "
              + (from.config != null
                  ? from.config.toAbsolutePath()
                  : from.store != null
                      ? "local store " + from.store.toAbsolutePath()
                      : "Kubernetes ("
                          + (from.inCluster ? "in cluster" : from.kubeconfig.toAbsolutePath())
                          + ")"));
      out.println("controller listening on " + listenIp + ":" + server.port() + " (CA + WDS, TLS)");
      if (plaintext) {
        out.println(
            "controller plaintext WDS on " + listenIp + ":" + server.plaintextPort() + " (no TLS)");
      }
      out.flush();
      try {
        server.awaitTermination();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } finally {
        server.close();
        try {
          Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException shuttingDown) {
          // The JVM is exiting and runs the hook itself.
        }
      }
      return 0;
    }

    private SnapshotSource openSource() throws IOException, InvalidMeshConfigException {
      if (from.config != null) {
        return LocalSnapshotSources.open(from.config, Duration.ofSeconds(1));
      }
      if (from.store != null) {
        localMode = LocalStoreMode.open(from.store, caOptions.trustDomain, waypointNodes);
        waypointDiscovery = localMode.discovery();
        return localMode.source();
      }
      for (String account : nodeAccounts) {
        if (!account.matches("[a-z0-9]([-a-z0-9]*[a-z0-9])?/[a-z0-9]([-a-z0-9.]*[a-z0-9])?")) {
          throw new IllegalArgumentException(
              "--node-accounts: " + account + " is not <namespace>/<service account>");
        }
      }
      Config kube;
      String where = from.inCluster ? "--in-cluster" : "--kubeconfig " + from.kubeconfig;
      try {
        if (from.inCluster) {
          kube = new ConfigBuilder().withAutoConfigure(true).build();
          if (kube.getMasterUrl() == null
              || kube.getAutoOAuthToken() == null && kube.getOauthToken() == null) {
            throw new IllegalArgumentException("no in-cluster service account token or API server");
          }
        } else {
          kube = Config.fromKubeconfig(Files.readString(from.kubeconfig));
        }
      } catch (IOException | RuntimeException e) {
        throw new IllegalArgumentException(where + ": " + e.getMessage());
      }
      KubernetesClient client = new KubernetesClientBuilder().withConfig(kube).build();
      kubeClient = client;
      try {
        KubernetesSnapshotSource source =
            KubernetesSnapshotSource.start(
                client,
                new KubeTranslator.Settings(
                    caOptions.trustDomain,
                    KubeTranslator.Settings.DEFAULT.rootNamespace(),
                    KubeTranslator.Settings.DEFAULT.clusterId(),
                    KubeTranslator.Settings.DEFAULT.clusterDomain(),
                    allowFromWaypoint),
                Duration.ofSeconds(60));
        RouteStatusController routes =
            RouteStatusController.start(client, source.servicesInformer(), Duration.ofSeconds(60));
        if (routes != null) {
          routes.reportTranslationProblems(
              source::current, KubeTranslator.Settings.DEFAULT.clusterDomain());
          source.onChange(state -> routes.poke());
        }
        WaypointGatewayController waypoints =
            WaypointGatewayController.start(
                client,
                new WaypointManifests.Settings(
                    waypointImage, waypointControllerAddress, caOptions.trustDomain, tokenAudience),
                Duration.ofSeconds(60));
        // Closing the source (at shutdown) closes what hangs off its client, then the client.
        List<AutoCloseable> closing = new ArrayList<>();
        if (routes != null) {
          closing.add(routes);
        }
        WasmPluginController wasmPlugins =
            waypoints == null ? null : WasmPluginController.start(client, Duration.ofSeconds(60));
        if (wasmPlugins != null) {
          closing.add(wasmPlugins);
        }
        if (waypoints != null) {
          closing.add(waypoints);
          closing.add(startFleet(source, routes, waypoints, wasmPlugins));
        }
        kubeSource = source;
        waypointGateways = waypoints;
        closing.add(client);
        return source.alsoClosing(closing.toArray(new AutoCloseable[0]));
      } catch (TimeoutException e) {
        client.close();
        throw new IllegalArgumentException(where + ": " + e.getMessage());
      } catch (InterruptedException e) {
        client.close();
        Thread.currentThread().interrupt();
        throw new IllegalArgumentException("interrupted while starting");
      }
    }

    /**
     * Waypoint pods' Envoys get their configuration on the TLS port, each only for the Gateway
     * whose service account it runs as; the fleet keeps every waypoint following the mesh, the
     * HTTPRoutes, the AuthorizationPolicies and the set of waypoint Gateways.
     */
    private WaypointFleet startFleet(
        KubernetesSnapshotSource source,
        RouteStatusController routes,
        WaypointGatewayController gateways,
        WasmPluginController wasmPlugins) {
      WaypointDiscovery discovery = WaypointFleet.podDiscovery(gateways::waypoints);
      waypointDiscovery = discovery;
      WaypointFleet fleet =
          WaypointFleet.forPods(
              discovery,
              new WaypointFleet.Inputs(
                  source::current,
                  routes == null ? List::of : routes::routes,
                  source::authorizationPolicies,
                  gateways::waypoints,
                  wasmPlugins == null ? List::of : wasmPlugins::plugins,
                  routes == null ? List::of : routes::grpcRoutes),
              new WaypointPolicyTranslator.Settings(
                  KubeTranslator.Settings.DEFAULT.rootNamespace(),
                  caOptions.trustDomain,
                  KubeTranslator.Settings.DEFAULT.clusterDomain()),
              ProtocolPolicy.DECLARED);
      if (wasmPlugins != null) {
        // Modules are fetched and verified by the fleet's pass, cached by sha256.
        fleet.withWasm(new WaypointFleet.WasmSettings(new WasmModules(), wasmPlugins::publish));
        wasmPlugins.onChange(fleet::poke);
      }
      source.onChange(state -> fleet.poke());
      gateways.onWaypoints(list -> fleet.poke());
      if (routes != null) {
        routes.onRouteChange(fleet::poke);
      }
      fleet.poke();
      return fleet;
    }

    private static void port(String option, int port) {
      if (port < 0 || port > 65535) {
        throw new IllegalArgumentException(option + ": " + port + " is not a port number");
      }
    }
  }
}
