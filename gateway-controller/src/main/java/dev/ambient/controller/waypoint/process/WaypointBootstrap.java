package dev.ambient.controller.waypoint.process;

import com.google.protobuf.Duration;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.util.JsonFormat;
import io.envoyproxy.envoy.config.bootstrap.v3.Admin;
import io.envoyproxy.envoy.config.bootstrap.v3.Bootstrap;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.Address;
import io.envoyproxy.envoy.config.core.v3.AggregatedConfigSource;
import io.envoyproxy.envoy.config.core.v3.ApiConfigSource;
import io.envoyproxy.envoy.config.core.v3.ApiVersion;
import io.envoyproxy.envoy.config.core.v3.ConfigSource;
import io.envoyproxy.envoy.config.core.v3.GrpcService;
import io.envoyproxy.envoy.config.core.v3.HeaderValue;
import io.envoyproxy.envoy.config.core.v3.Http2ProtocolOptions;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.config.core.v3.SocketAddress;
import io.envoyproxy.envoy.config.core.v3.TypedExtensionConfig;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.endpoint.v3.Endpoint;
import io.envoyproxy.envoy.config.endpoint.v3.LbEndpoint;
import io.envoyproxy.envoy.config.endpoint.v3.LocalityLbEndpoints;
import io.envoyproxy.envoy.extensions.bootstrap.internal_listener.v3.InternalListener;
import io.envoyproxy.envoy.extensions.upstreams.http.v3.HttpProtocolOptions;
import java.net.InetSocketAddress;

/**
 * The static part of a waypoint's Envoy config: its node id, admin on loopback, the internal
 * listener extension, and one ADS cluster (HTTP/2 to the controller) whose calls carry the node's
 * bearer token. Everything else comes over ADS.
 */
public final class WaypointBootstrap {
  static final String ADS_CLUSTER = "waypoint_ads";

  private WaypointBootstrap() {}

  public static Bootstrap build(String nodeId, InetSocketAddress ads, String token) {
    ConfigSource viaAds =
        ConfigSource.newBuilder()
            .setAds(AggregatedConfigSource.getDefaultInstance())
            .setResourceApiVersion(ApiVersion.V3)
            .build();
    HttpProtocolOptions h2 =
        HttpProtocolOptions.newBuilder()
            .setExplicitHttpConfig(
                HttpProtocolOptions.ExplicitHttpConfig.newBuilder()
                    .setHttp2ProtocolOptions(Http2ProtocolOptions.getDefaultInstance()))
            .build();
    Cluster adsCluster =
        Cluster.newBuilder()
            .setName(ADS_CLUSTER)
            .setType(Cluster.DiscoveryType.STATIC)
            .setConnectTimeout(Duration.newBuilder().setSeconds(2))
            .putTypedExtensionProtocolOptions(
                "envoy.extensions.upstreams.http.v3.HttpProtocolOptions",
                com.google.protobuf.Any.pack(h2))
            .setLoadAssignment(
                ClusterLoadAssignment.newBuilder()
                    .setClusterName(ADS_CLUSTER)
                    .addEndpoints(
                        LocalityLbEndpoints.newBuilder()
                            .addLbEndpoints(
                                LbEndpoint.newBuilder()
                                    .setEndpoint(
                                        Endpoint.newBuilder()
                                            .setAddress(
                                                socket(
                                                    ads.getAddress().getHostAddress(),
                                                    ads.getPort()))))))
            .build();
    return Bootstrap.newBuilder()
        .setNode(Node.newBuilder().setId(nodeId).setCluster("waypoint"))
        .setAdmin(Admin.newBuilder().setAddress(socket("127.0.0.1", 0)))
        .addBootstrapExtensions(
            TypedExtensionConfig.newBuilder()
                .setName("envoy.bootstrap.internal_listener")
                .setTypedConfig(
                    com.google.protobuf.Any.pack(InternalListener.getDefaultInstance())))
        .setDynamicResources(
            Bootstrap.DynamicResources.newBuilder()
                .setAdsConfig(
                    ApiConfigSource.newBuilder()
                        .setApiType(ApiConfigSource.ApiType.GRPC)
                        .setTransportApiVersion(ApiVersion.V3)
                        // java-control-plane 1.0.49 keys every request by its own node field.
                        .setSetNodeOnFirstMessageOnly(false)
                        .addGrpcServices(
                            GrpcService.newBuilder()
                                .setEnvoyGrpc(
                                    GrpcService.EnvoyGrpc.newBuilder().setClusterName(ADS_CLUSTER))
                                .addInitialMetadata(
                                    HeaderValue.newBuilder()
                                        .setKey("authorization")
                                        .setValue("Bearer " + token))))
                .setCdsConfig(viaAds)
                .setLdsConfig(viaAds))
        .setStaticResources(Bootstrap.StaticResources.newBuilder().addClusters(adsCluster))
        .build();
  }

  /** The bootstrap as JSON (Envoy reads {@code .json} files as such). */
  public static String json(Bootstrap bootstrap) {
    try {
      return JsonFormat.printer()
          .usingTypeRegistry(
              JsonFormat.TypeRegistry.newBuilder()
                  .add(InternalListener.getDescriptor())
                  .add(HttpProtocolOptions.getDescriptor())
                  .build())
          .print(bootstrap);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("bootstrap does not print as JSON", e);
    }
  }

  private static Address socket(String ip, int port) {
    return Address.newBuilder()
        .setSocketAddress(SocketAddress.newBuilder().setAddress(ip).setPortValue(port))
        .build();
  }
}
