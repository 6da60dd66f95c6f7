package dev.ambient.controller.waypoint.process;

import io.envoyproxy.envoy.config.bootstrap.v3.Bootstrap;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import java.net.InetSocketAddress;

/**
 * The static part of a waypoint's Envoy config: its node id, admin on loopback, the internal
 * listener extension, and one ADS cluster (HTTP/2 to the controller) whose calls carry the node's
 * bearer token. Everything else comes over ADS.
 */
public final class WaypointBootstrap {
  static final String ADS_CLUSTER = BootstrapParts.ADS_CLUSTER;

  private WaypointBootstrap() {}

  public static Bootstrap build(String nodeId, InetSocketAddress ads, String token) {
    Cluster adsCluster =
        BootstrapParts.h2Cluster(
                ADS_CLUSTER,
                BootstrapParts.socket(ads.getAddress().getHostAddress(), ads.getPort()))
            .setType(Cluster.DiscoveryType.STATIC)
            .build();
    return BootstrapParts.overAds(nodeId, token, adsCluster);
  }

  /** The bootstrap as JSON (Envoy reads {@code .json} files as such). */
  public static String json(Bootstrap bootstrap) {
    return BootstrapParts.json(bootstrap);
  }
}
