package dev.ambient.controller.waypoint.process;

import com.google.protobuf.Any;
import com.google.protobuf.Duration;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.util.JsonFormat;
import io.envoyproxy.envoy.config.bootstrap.v3.Admin;
import io.envoyproxy.envoy.config.bootstrap.v3.Bootstrap;
import io.envoyproxy.envoy.config.bootstrap.v3.LayeredRuntime;
import io.envoyproxy.envoy.config.bootstrap.v3.RuntimeLayer;
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
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext;
import io.envoyproxy.envoy.extensions.upstreams.http.v3.HttpProtocolOptions;

/**
 * What every waypoint Envoy's bootstrap holds, whether a local process ({@link WaypointBootstrap})
 * or a pod's agent ({@code agent.AgentBootstrap}) writes it: node id, admin on loopback, the
 * internal listener extension, and LDS/CDS over ADS through the cluster {@link #ADS_CLUSTER} with
 * the bearer token as gRPC initial metadata. The callers add their own static clusters.
 */
public final class BootstrapParts {
  /** The static cluster that reaches the controller's ADS. */
  public static final String ADS_CLUSTER = "waypoint_ads";

  private BootstrapParts() {}

  /**
   * The bootstrap with the given static clusters, one of which must be {@link #ADS_CLUSTER}.
   *
   * @param token sent as {@code authorization: Bearer} on the ADS stream, or {@code null} when the
   *     ADS cluster's TLS authenticates Envoy with a client certificate instead
   */
  public static Bootstrap overAds(String nodeId, String token, Cluster... staticClusters) {
    GrpcService.Builder ads =
        GrpcService.newBuilder()
            .setEnvoyGrpc(GrpcService.EnvoyGrpc.newBuilder().setClusterName(ADS_CLUSTER));
    if (token != null) {
      ads.addInitialMetadata(
          HeaderValue.newBuilder().setKey("authorization").setValue("Bearer " + token));
    }
    ConfigSource viaAds =
        ConfigSource.newBuilder()
            .setAds(AggregatedConfigSource.getDefaultInstance())
            .setResourceApiVersion(ApiVersion.V3)
            .build();
    Bootstrap.StaticResources.Builder statics = Bootstrap.StaticResources.newBuilder();
    for (Cluster cluster : staticClusters) {
      statics.addClusters(cluster);
    }
    return Bootstrap.newBuilder()
        .setNode(Node.newBuilder().setId(nodeId).setCluster("waypoint"))
        .setAdmin(Admin.newBuilder().setAddress(socket("127.0.0.1", 0)))
        // An admin layer lets an operator flip a runtime flag on a live waypoint for diagnosis
        // (POST /runtime_modify on the loopback admin port).
        .setLayeredRuntime(
            LayeredRuntime.newBuilder()
                .addLayers(
                    RuntimeLayer.newBuilder()
                        .setName("admin")
                        .setAdminLayer(RuntimeLayer.AdminLayer.getDefaultInstance())))
        .addBootstrapExtensions(
            TypedExtensionConfig.newBuilder()
                .setName("envoy.bootstrap.internal_listener")
                .setTypedConfig(Any.pack(InternalListener.getDefaultInstance())))
        .setDynamicResources(
            Bootstrap.DynamicResources.newBuilder()
                .setAdsConfig(
                    ApiConfigSource.newBuilder()
                        .setApiType(ApiConfigSource.ApiType.GRPC)
                        .setTransportApiVersion(ApiVersion.V3)
                        // java-control-plane 1.0.49 keys every request by its own node field.
                        .setSetNodeOnFirstMessageOnly(false)
                        .addGrpcServices(ads))
                .setCdsConfig(viaAds)
                .setLdsConfig(viaAds))
        .setStaticResources(statics)
        .build();
  }

  /** A cluster of one endpoint spoken to over HTTP/2 (gRPC); the caller sets its type. */
  public static Cluster.Builder h2Cluster(String name, Address address) {
    HttpProtocolOptions h2 =
        HttpProtocolOptions.newBuilder()
            .setExplicitHttpConfig(
                HttpProtocolOptions.ExplicitHttpConfig.newBuilder()
                    .setHttp2ProtocolOptions(Http2ProtocolOptions.getDefaultInstance()))
            .build();
    return Cluster.newBuilder()
        .setName(name)
        .setConnectTimeout(Duration.newBuilder().setSeconds(2))
        .putTypedExtensionProtocolOptions(
            "envoy.extensions.upstreams.http.v3.HttpProtocolOptions", Any.pack(h2))
        .setLoadAssignment(
            ClusterLoadAssignment.newBuilder()
                .setClusterName(name)
                .addEndpoints(
                    LocalityLbEndpoints.newBuilder()
                        .addLbEndpoints(
                            LbEndpoint.newBuilder()
                                .setEndpoint(Endpoint.newBuilder().setAddress(address)))));
  }

  public static Address socket(String host, int port) {
    return Address.newBuilder()
        .setSocketAddress(SocketAddress.newBuilder().setAddress(host).setPortValue(port))
        .build();
  }

  /**
   * The bootstrap as JSON (Envoy reads {@code .json} files as such); the registry knows every
   * {@code Any} either bootstrap packs.
   */
  public static String json(Bootstrap bootstrap) {
    try {
      return JsonFormat.printer()
          .usingTypeRegistry(
              JsonFormat.TypeRegistry.newBuilder()
                  .add(InternalListener.getDescriptor())
                  .add(HttpProtocolOptions.getDescriptor())
                  .add(UpstreamTlsContext.getDescriptor())
                  .build())
          .print(bootstrap);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("bootstrap does not print as JSON", e);
    }
  }
}
