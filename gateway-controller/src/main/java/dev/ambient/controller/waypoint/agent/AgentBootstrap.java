package dev.ambient.controller.waypoint.agent;

import com.google.protobuf.Any;
import com.google.protobuf.Duration;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.util.JsonFormat;
import dev.ambient.api.spiffe.SpiffeId;
import dev.ambient.controller.waypoint.xds.AgentSds;
import io.envoyproxy.envoy.config.bootstrap.v3.Admin;
import io.envoyproxy.envoy.config.bootstrap.v3.Bootstrap;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.Address;
import io.envoyproxy.envoy.config.core.v3.AggregatedConfigSource;
import io.envoyproxy.envoy.config.core.v3.ApiConfigSource;
import io.envoyproxy.envoy.config.core.v3.ApiVersion;
import io.envoyproxy.envoy.config.core.v3.ConfigSource;
import io.envoyproxy.envoy.config.core.v3.DataSource;
import io.envoyproxy.envoy.config.core.v3.GrpcService;
import io.envoyproxy.envoy.config.core.v3.HeaderValue;
import io.envoyproxy.envoy.config.core.v3.Http2ProtocolOptions;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.config.core.v3.Pipe;
import io.envoyproxy.envoy.config.core.v3.SocketAddress;
import io.envoyproxy.envoy.config.core.v3.TransportSocket;
import io.envoyproxy.envoy.config.core.v3.TypedExtensionConfig;
import io.envoyproxy.envoy.config.core.v3.WatchedDirectory;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.endpoint.v3.Endpoint;
import io.envoyproxy.envoy.config.endpoint.v3.LbEndpoint;
import io.envoyproxy.envoy.config.endpoint.v3.LocalityLbEndpoints;
import io.envoyproxy.envoy.extensions.bootstrap.internal_listener.v3.InternalListener;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.CertificateValidationContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.CommonTlsContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.SubjectAltNameMatcher;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.TlsParameters;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext;
import io.envoyproxy.envoy.extensions.upstreams.http.v3.HttpProtocolOptions;
import io.envoyproxy.envoy.type.matcher.v3.StringMatcher;
import java.net.InetAddress;
import java.nio.file.Path;

/**
 * The static config of a waypoint pod's Envoy, the pod-mode counterpart of {@code
 * process.WaypointBootstrap}:
 *
 * <ul>
 *   <li>node id {@code <namespace>/<gateway>}, so every replica gets the Gateway's one snapshot;
 *   <li>admin on 127.0.0.1 only (port chosen by Envoy, reported through {@code
 *       --admin-address-path}): it can dump config and stop Envoy, so nothing outside the pod's
 *       loopback may reach it;
 *   <li>cluster {@code waypoint_ads}: the controller's 15012 over TLS 1.3 with ALPN h2, its
 *       certificate verified against {@code --ca-root} (re-read when its directory changes) and
 *       required to carry the controller's SPIFFE ID (as ztunnel checks istiod), SNI the
 *       controller's host name; the pod's token goes as gRPC initial metadata {@code authorization:
 *       Bearer};
 *   <li>cluster {@link AgentSds#CLUSTER}: HTTP/2 over the agent's SDS unix socket.
 * </ul>
 *
 * <p>The bootstrap holds the token (never a key) and is written 0600 into the 0700 work directory.
 */
public final class AgentBootstrap {
  static final String ADS_CLUSTER = "waypoint_ads";

  private AgentBootstrap() {}

  /**
   * @param controllerHost host name or IP literal of the controller
   * @param controllerIdentity the SPIFFE ID the controller's certificate must carry
   * @param caRoot the PEM file with the roots the controller's certificate chains to
   * @param token the pod's current service-account token
   * @param sdsSocket the agent's SDS unix socket
   */
  public static Bootstrap build(
      String nodeId,
      String controllerHost,
      int controllerPort,
      SpiffeId controllerIdentity,
      Path caRoot,
      String token,
      Path sdsSocket) {
    ConfigSource viaAds =
        ConfigSource.newBuilder()
            .setAds(AggregatedConfigSource.getDefaultInstance())
            .setResourceApiVersion(ApiVersion.V3)
            .build();
    boolean literal = isIpLiteral(controllerHost);
    Cluster ads =
        h2Cluster(
                ADS_CLUSTER,
                Address.newBuilder()
                    .setSocketAddress(
                        SocketAddress.newBuilder()
                            .setAddress(controllerHost)
                            .setPortValue(controllerPort))
                    .build())
            .setType(literal ? Cluster.DiscoveryType.STATIC : Cluster.DiscoveryType.STRICT_DNS)
            .setTransportSocket(adsTls(controllerHost, controllerIdentity, caRoot))
            .build();
    Cluster sds =
        h2Cluster(
                AgentSds.CLUSTER,
                Address.newBuilder()
                    .setPipe(Pipe.newBuilder().setPath(sdsSocket.toString()))
                    .build())
            .setType(Cluster.DiscoveryType.STATIC)
            .build();
    return Bootstrap.newBuilder()
        .setNode(Node.newBuilder().setId(nodeId).setCluster("waypoint"))
        .setAdmin(
            Admin.newBuilder()
                .setAddress(
                    Address.newBuilder()
                        .setSocketAddress(
                            SocketAddress.newBuilder().setAddress("127.0.0.1").setPortValue(0))))
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
        .setStaticResources(
            Bootstrap.StaticResources.newBuilder().addClusters(ads).addClusters(sds))
        .build();
  }

  private static Cluster.Builder h2Cluster(String name, Address address) {
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

  private static TransportSocket adsTls(String host, SpiffeId identity, Path caRoot) {
    CommonTlsContext common =
        CommonTlsContext.newBuilder()
            .setTlsParams(
                TlsParameters.newBuilder()
                    .setTlsMinimumProtocolVersion(TlsParameters.TlsProtocol.TLSv1_3)
                    .setTlsMaximumProtocolVersion(TlsParameters.TlsProtocol.TLSv1_3))
            .addAlpnProtocols("h2")
            .setValidationContext(
                CertificateValidationContext.newBuilder()
                    .setTrustedCa(DataSource.newBuilder().setFilename(caRoot.toString()))
                    // A ConfigMap volume swaps its files by renaming a symlink in this directory:
                    // Envoy re-reads the root after a rotation without a restart.
                    .setWatchedDirectory(
                        WatchedDirectory.newBuilder()
                            .setPath(caRoot.toAbsolutePath().getParent().toString()))
                    .addMatchTypedSubjectAltNames(
                        SubjectAltNameMatcher.newBuilder()
                            .setSanType(SubjectAltNameMatcher.SanType.URI)
                            .setMatcher(StringMatcher.newBuilder().setExact(identity.uri()))))
            .build();
    UpstreamTlsContext.Builder ctx = UpstreamTlsContext.newBuilder().setCommonTlsContext(common);
    if (!isIpLiteral(host)) {
      ctx.setSni(host);
    }
    return TransportSocket.newBuilder()
        .setName("envoy.transport_sockets.tls")
        .setTypedConfig(Any.pack(ctx.build()))
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
                  .add(UpstreamTlsContext.getDescriptor())
                  .build())
          .print(bootstrap);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("bootstrap does not print as JSON", e);
    }
  }

  static boolean isIpLiteral(String host) {
    if (host.indexOf(':') >= 0) {
      return true; // IPv6
    }
    if (!host.matches("[0-9.]+")) {
      return false;
    }
    try {
      InetAddress.getByName(host); // a dotted quad: parsed, never looked up
      return true;
    } catch (java.net.UnknownHostException e) {
      return false;
    }
  }
}
