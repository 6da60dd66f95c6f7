package dev.ambient.controller.server;

import dev.ambient.controller.ca.CallerAuthenticator;
import dev.ambient.controller.gateway.WaypointFleet;
import dev.ambient.controller.kube.KubeTranslator;
import dev.ambient.controller.local.LocalMeshSource;
import dev.ambient.controller.local.LocalStore;
import dev.ambient.controller.local.LocalWaypointTokens;
import dev.ambient.controller.local.LocalWaypoints;
import dev.ambient.controller.local.NetnsWaypoints;
import dev.ambient.controller.local.NodeNetwork;
import dev.ambient.controller.waypoint.ProtocolPolicy;
import dev.ambient.controller.waypoint.authz.WaypointPolicyTranslator;
import dev.ambient.controller.waypoint.process.EnvoyBinary;
import dev.ambient.controller.waypoint.xds.WaypointDiscovery;
import dev.ambient.netlab.NetLab;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * {@code controller serve --store DIR}: the mesh from the local object store, through the cluster
 * mode's translation; waypoint Gateways run as local processes ({@link NetnsWaypoints}) configured
 * over the same waypoint ADS as waypoint pods, each Envoy only for its own Gateway.
 */
public final class LocalStoreMode {
  private final LocalMeshSource source;
  private final WaypointDiscovery discovery;
  private final LocalWaypointTokens tokens;
  private final NetnsWaypoints runtime;

  private LocalStoreMode(
      LocalMeshSource source,
      WaypointDiscovery discovery,
      LocalWaypointTokens tokens,
      NetnsWaypoints runtime) {
    this.source = source;
    this.discovery = discovery;
    this.tokens = tokens;
    this.runtime = runtime;
  }

  /**
   * @param waypointNodes {@code NODE=NETNS} of the nodes whose bridge waypoints attach to (the
   *     first one is used); none: waypoint Gateways are reported not serving
   */
  public static LocalStoreMode open(Path store, String trustDomain, List<String> waypointNodes)
      throws IOException {
    KubeTranslator.Settings settings =
        new KubeTranslator.Settings(
            trustDomain,
            KubeTranslator.Settings.DEFAULT.rootNamespace(),
            KubeTranslator.Settings.DEFAULT.clusterId(),
            KubeTranslator.Settings.DEFAULT.clusterDomain());
    LocalWaypointTokens tokens = new LocalWaypointTokens();
    // The option's syntax is checked first, so a typo is an error whether or not we are root.
    List<String[]> nodeSpecs = new ArrayList<>();
    for (String spec : waypointNodes) {
      int eq = spec.indexOf('=');
      if (eq <= 0 || eq == spec.length() - 1) {
        throw new IllegalArgumentException("--waypoint-node: " + spec + " is not NODE=NETNS");
      }
      nodeSpecs.add(new String[] {spec.substring(0, eq), spec.substring(eq + 1)});
    }
    NetnsWaypoints runtime = null;
    LocalWaypoints waypoints;
    Optional<Path> envoy = EnvoyBinary.find();
    if (!NetLab.isRoot()) {
      waypoints =
          LocalWaypoints.disabled(
              "waypoints run as processes in their own network namespaces: the controller must"
                  + " run as root");
    } else if (nodeSpecs.isEmpty()) {
      waypoints =
          LocalWaypoints.disabled(
              "no --waypoint-node NODE=NETNS given: a waypoint needs a node bridge to attach to");
    } else if (envoy.isEmpty()) {
      waypoints = LocalWaypoints.disabled(EnvoyBinary.skipReason());
    } else {
      List<NodeNetwork> nodes = new ArrayList<>();
      for (String[] spec : nodeSpecs) {
        nodes.add(NodeNetwork.discover(spec[0], spec[1]));
      }
      runtime =
          new NetnsWaypoints(
              new NetnsWaypoints.Settings(
                  nodes, store.toAbsolutePath().resolve(".waypoints"), envoy.get(), trustDomain),
              tokens);
      waypoints = runtime;
    }
    LocalMeshSource source =
        LocalMeshSource.start(
            new LocalStore(store, new KubernetesSerialization()),
            settings,
            waypoints,
            Duration.ofSeconds(1));
    WaypointDiscovery discovery = WaypointFleet.podDiscovery(source::waypoints);
    WaypointFleet fleet =
        WaypointFleet.forPods(
            discovery,
            new WaypointFleet.Inputs(
                source::current,
                source::routes,
                source::authorizationPolicies,
                source::waypoints,
                List::of,
                source::grpcRoutes),
            new WaypointPolicyTranslator.Settings(
                settings.rootNamespace(), trustDomain, settings.clusterDomain()),
            ProtocolPolicy.DECLARED);
    source.onPass(fleet::poke);
    source.alsoClosing(fleet, discovery);
    fleet.poke();
    return new LocalStoreMode(source, discovery, tokens, runtime);
  }

  public LocalMeshSource source() {
    return source;
  }

  public WaypointDiscovery discovery() {
    return discovery;
  }

  /** The TLS port's authenticator: local waypoints by their tokens, ztunnels by node tokens. */
  public CallerAuthenticator authenticator(CallerAuthenticator nodes) {
    return tokens.useForNodes(nodes);
  }

  /** The controller listens: local waypoints can start now. */
  public void serverStarted(InetSocketAddress address, Path caBundle) {
    if (runtime != null) {
      runtime.controllerReady(new NetnsWaypoints.Controller(address, caBundle));
      source.refresh();
    }
  }
}
