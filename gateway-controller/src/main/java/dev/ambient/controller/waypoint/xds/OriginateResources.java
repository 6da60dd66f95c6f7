package dev.ambient.controller.waypoint.xds;

import com.google.protobuf.Duration;
import com.google.protobuf.Struct;
import com.google.protobuf.UInt32Value;
import com.google.protobuf.Value;
import dev.ambient.controller.waypoint.Backend;
import dev.ambient.controller.waypoint.Endpoint;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.Http2ProtocolOptions;
import io.envoyproxy.envoy.config.core.v3.HttpProtocolOptions;
import io.envoyproxy.envoy.config.core.v3.Metadata;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.endpoint.v3.LbEndpoint;
import io.envoyproxy.envoy.config.endpoint.v3.LocalityLbEndpoints;
import io.envoyproxy.envoy.config.listener.v3.Filter;
import io.envoyproxy.envoy.config.listener.v3.FilterChain;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.listener.v3.ListenerFilter;
import io.envoyproxy.envoy.extensions.filters.listener.original_dst.v3.OriginalDst;
import io.envoyproxy.envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy;
import io.envoyproxy.envoy.extensions.upstreams.http.v3.HttpProtocolOptions.ExplicitHttpConfig;
import java.util.List;

/**
 * The way out: every backend cluster's endpoint is the internal listener {@code connect_originate}
 * with the pod's {@code ip:port} and SPIFFE ID as host metadata; that listener opens an HBONE
 * CONNECT to {@code ip:15008} whose server certificate must carry exactly that ID.
 */
final class OriginateResources {
  private static final Duration CONNECT_TIMEOUT = Duration.newBuilder().setSeconds(5).build();

  private OriginateResources() {}

  /** The EDS cluster of a backend (endpoints come separately so they change without a drain). */
  static Cluster backendCluster(Backend b) {
    String name = b.ref().clusterName();
    return Cluster.newBuilder()
        .setName(name)
        .setType(Cluster.DiscoveryType.EDS)
        .setEdsClusterConfig(
            Cluster.EdsClusterConfig.newBuilder().setEdsConfig(Protos.ads()).setServiceName(name))
        .setConnectTimeout(CONNECT_TIMEOUT)
        .setTransportSocket(Protos.internalUpstream(true))
        // The app gets the HTTP version its client spoke: gRPC and other h2c clients reach an
        // HTTP/2 server, HTTP/1.1 clients an HTTP/1.1 one (Envoy's default upstream would turn
        // every request into HTTP/1.1, which no gRPC server answers). TCP proxying ignores this.
        .putTypedExtensionProtocolOptions(
            "envoy.extensions.upstreams.http.v3.HttpProtocolOptions", Protos.any(downstreamHttp()))
        .build();
  }

  private static io.envoyproxy.envoy.extensions.upstreams.http.v3.HttpProtocolOptions
      downstreamHttp() {
    return io.envoyproxy.envoy.extensions.upstreams.http.v3.HttpProtocolOptions.newBuilder()
        .setUseDownstreamProtocolConfig(
            io.envoyproxy.envoy.extensions.upstreams.http.v3.HttpProtocolOptions
                .UseDownstreamHttpConfig.newBuilder()
                .setHttpProtocolOptions(
                    io.envoyproxy.envoy.config.core.v3.Http1ProtocolOptions.getDefaultInstance())
                .setHttp2ProtocolOptions(Http2ProtocolOptions.getDefaultInstance()))
        .build();
  }

  static ClusterLoadAssignment endpoints(Backend b) {
    LocalityLbEndpoints.Builder locality = LocalityLbEndpoints.newBuilder();
    for (Endpoint e : b.endpoints()) {
      Struct dst =
          Struct.newBuilder()
              .putFields("local", Value.newBuilder().setStringValue(e.hostPort()).build())
              .putFields("identity", Value.newBuilder().setStringValue(e.identity().uri()).build())
              .build();
      locality.addLbEndpoints(
          LbEndpoint.newBuilder()
              .setEndpoint(
                  io.envoyproxy.envoy.config.endpoint.v3.Endpoint.newBuilder()
                      .setAddress(Protos.internal(XdsNames.CONNECT_ORIGINATE, endpointId(e))))
              .setMetadata(Metadata.newBuilder().putFilterMetadata(XdsNames.ORIGINAL_DST, dst)));
    }
    return ClusterLoadAssignment.newBuilder()
        .setClusterName(b.ref().clusterName())
        .addEndpoints(locality)
        .build();
  }

  /**
   * The internal host's id: the pod address and its identity. Distinct ids keep EDS from folding
   * pods into one host, and a pod whose identity changes becomes a new host: connections pooled
   * (and tunnels verified) for the old identity are never reused for the new one.
   */
  static String endpointId(Endpoint e) {
    return e.hostPort() + ";" + e.identity().uri();
  }

  /** Internal listener: destination from host metadata, exact SAN into filter state, CONNECT. */
  static Listener originateListener() {
    return Listener.newBuilder()
        .setName(XdsNames.CONNECT_ORIGINATE)
        .setInternalListener(Listener.InternalListenerConfig.getDefaultInstance())
        .setUseOriginalDst(com.google.protobuf.BoolValue.of(false))
        .addListenerFilters(
            ListenerFilter.newBuilder()
                .setName(XdsNames.ORIGINAL_DST)
                .setTypedConfig(Protos.any(OriginalDst.getDefaultInstance())))
        .addFilterChains(
            FilterChain.newBuilder()
                .addAllFilters(
                    tunnel(
                        "%DYNAMIC_METADATA(" + XdsNames.ORIGINAL_DST + ":identity)%",
                        XdsNames.CONNECT_ORIGINATE)))
        .build();
  }

  /**
   * The network filters that carry a connection in an HBONE tunnel to its (restored) local address:
   * the SAN the far side must present ({@code san}, a format string) into filter state, then
   * tcp_proxy CONNECTing through the {@link XdsNames#CONNECT_ORIGINATE} cluster.
   */
  static List<Filter> tunnel(String san, String statPrefix) {
    io.envoyproxy.envoy.extensions.filters.network.set_filter_state.v3.Config state =
        io.envoyproxy.envoy.extensions.filters.network.set_filter_state.v3.Config.newBuilder()
            .addOnNewConnection(
                Protos.filterState("envoy.network.upstream_subject_alt_names", null, san, true))
            .build();
    TcpProxy tunnel =
        TcpProxy.newBuilder()
            .setStatPrefix(statPrefix)
            .setCluster(XdsNames.CONNECT_ORIGINATE)
            .setTunnelingConfig(
                TcpProxy.TunnelingConfig.newBuilder()
                    .setHostname("%DOWNSTREAM_LOCAL_ADDRESS%")
                    .setUsePost(false))
            .build();
    return List.of(
        Filter.newBuilder()
            .setName("envoy.filters.network.set_filter_state")
            .setTypedConfig(Protos.any(state))
            .build(),
        Filter.newBuilder()
            .setName("envoy.filters.network.tcp_proxy")
            .setTypedConfig(Protos.any(tunnel))
            .build());
  }

  /** HBONE to the original destination's IP on 15008: HTTP/2 CONNECT over mTLS. */
  static Cluster originateCluster(String trustDomain) {
    return originateCluster(trustDomain, false);
  }

  /** As {@link #originateCluster(String)}, its certificate from the pod's agent if asked. */
  static Cluster originateCluster(String trustDomain, boolean agentSds) {
    io.envoyproxy.envoy.extensions.upstreams.http.v3.HttpProtocolOptions h2 =
        io.envoyproxy.envoy.extensions.upstreams.http.v3.HttpProtocolOptions.newBuilder()
            .setCommonHttpProtocolOptions(
                HttpProtocolOptions.newBuilder()
                    .setIdleTimeout(Duration.newBuilder().setSeconds(60)))
            .setExplicitHttpConfig(
                ExplicitHttpConfig.newBuilder()
                    .setHttp2ProtocolOptions(
                        Http2ProtocolOptions.newBuilder().setAllowConnect(true)))
            .build();
    return Cluster.newBuilder()
        .setName(XdsNames.CONNECT_ORIGINATE)
        .setType(Cluster.DiscoveryType.ORIGINAL_DST)
        .setLbPolicy(Cluster.LbPolicy.CLUSTER_PROVIDED)
        .setOriginalDstLbConfig(
            Cluster.OriginalDstLbConfig.newBuilder()
                .setUpstreamPortOverride(UInt32Value.of(XdsNames.HBONE_PORT)))
        .setConnectTimeout(CONNECT_TIMEOUT)
        .putTypedExtensionProtocolOptions(
            "envoy.extensions.upstreams.http.v3.HttpProtocolOptions", Protos.any(h2))
        .setTransportSocket(WaypointTls.upstream(trustDomain, agentSds))
        .build();
  }

  /** From the terminate listener into main_internal (STATIC, one internal endpoint). */
  static Cluster mainInternalCluster() {
    return Cluster.newBuilder()
        .setName(XdsNames.MAIN_INTERNAL)
        .setType(Cluster.DiscoveryType.STATIC)
        .setConnectTimeout(CONNECT_TIMEOUT)
        .setLoadAssignment(
            ClusterLoadAssignment.newBuilder()
                .setClusterName(XdsNames.MAIN_INTERNAL)
                .addEndpoints(
                    LocalityLbEndpoints.newBuilder()
                        .addLbEndpoints(
                            LbEndpoint.newBuilder()
                                .setEndpoint(
                                    io.envoyproxy.envoy.config.endpoint.v3.Endpoint.newBuilder()
                                        .setAddress(
                                            Protos.internal(XdsNames.MAIN_INTERNAL, null))))))
        .setTransportSocket(Protos.internalUpstream(false))
        .build();
  }
}
