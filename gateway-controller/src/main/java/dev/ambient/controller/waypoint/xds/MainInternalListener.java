package dev.ambient.controller.waypoint.xds;

import com.google.protobuf.UInt32Value;
import dev.ambient.controller.waypoint.ServiceListener;
import dev.ambient.controller.waypoint.ServiceProtocol;
import dev.ambient.controller.waypoint.WaypointModel;
import io.envoyproxy.envoy.config.core.v3.CidrRange;
import io.envoyproxy.envoy.config.listener.v3.Filter;
import io.envoyproxy.envoy.config.listener.v3.FilterChain;
import io.envoyproxy.envoy.config.listener.v3.FilterChainMatch;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.listener.v3.ListenerFilter;
import io.envoyproxy.envoy.extensions.filters.http.router.v3.Router;
import io.envoyproxy.envoy.extensions.filters.listener.original_dst.v3.OriginalDst;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.Rds;
import io.envoyproxy.envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy;

/**
 * The internal listener behind 15008: one filter chain per service VIP and port, chosen by the
 * destination the terminate listener handed over. HTTP chains route through RDS (so route changes
 * do not touch the listener and never drain its connections); TCP chains proxy at L4. A destination
 * no chain matches is closed: fail closed.
 */
final class MainInternalListener {
  private MainInternalListener() {}

  static Listener build(WaypointModel model) {
    Listener.Builder l =
        Listener.newBuilder()
            .setName(XdsNames.MAIN_INTERNAL)
            .setInternalListener(
                io.envoyproxy.envoy.config.listener.v3.Listener.InternalListenerConfig
                    .getDefaultInstance())
            .setUseOriginalDst(com.google.protobuf.BoolValue.of(false))
            .addListenerFilters(
                ListenerFilter.newBuilder()
                    .setName(XdsNames.ORIGINAL_DST)
                    .setTypedConfig(Protos.any(OriginalDst.getDefaultInstance())));
    for (ServiceListener s : model.listeners()) {
      l.addFilterChains(chain(s));
    }
    // A destination the waypoint does not serve (a VIP whose service left it, or none yet: Envoy
    // refuses a listener without chains) is closed at once, never proxied anywhere.
    l.setDefaultFilterChain(
        FilterChain.newBuilder()
            .setName("unserved")
            .addFilters(
                Filter.newBuilder()
                    .setName("envoy.filters.network.direct_response")
                    .setTypedConfig(
                        Protos.any(
                            io.envoyproxy.envoy.extensions.filters.network.direct_response.v3.Config
                                .getDefaultInstance()))));
    return l.build();
  }

  /** The RDS name of an HTTP service listener. */
  static String routeName(ServiceListener s) {
    return s.hostPort();
  }

  private static FilterChain chain(ServiceListener s) {
    String ip = s.vip().getHostAddress();
    FilterChainMatch match =
        FilterChainMatch.newBuilder()
            .addPrefixRanges(
                CidrRange.newBuilder()
                    .setAddressPrefix(ip)
                    .setPrefixLen(UInt32Value.of(ip.contains(":") ? 128 : 32)))
            .setDestinationPort(UInt32Value.of(s.port()))
            .build();
    FilterChain.Builder chain =
        FilterChain.newBuilder().setName(s.hostPort()).setFilterChainMatch(match);
    if (s.protocol() == ServiceProtocol.TCP) {
      // Policy first: a denied connection never reaches tcp_proxy.
      chain.addAllFilters(RbacFilters.network(s.policies(), s.tcpBackend().clusterName()));
    }
    Filter filter =
        s.protocol() == ServiceProtocol.TCP
            ? Filter.newBuilder()
                .setName("envoy.filters.network.tcp_proxy")
                .setTypedConfig(
                    Protos.any(
                        TcpProxy.newBuilder()
                            .setStatPrefix(s.tcpBackend().clusterName())
                            .setCluster(s.tcpBackend().clusterName())
                            .build()))
                .build()
            : Filter.newBuilder()
                .setName("envoy.filters.network.http_connection_manager")
                .setTypedConfig(Protos.any(http(s)))
                .build();
    return chain.addFilters(filter).build();
  }

  private static HttpConnectionManager http(ServiceListener s) {
    return HttpConnectionManager.newBuilder()
        .setStatPrefix(s.service().clusterName())
        .setCodecType(HttpConnectionManager.CodecType.AUTO)
        .setRds(Rds.newBuilder().setRouteConfigName(routeName(s)).setConfigSource(Protos.ads()))
        // Policy sees the path routing sees: "/a/../admin" and "//admin" are "/admin".
        .setNormalizePath(com.google.protobuf.BoolValue.of(true))
        .setMergeSlashes(true)
        .addAllHttpFilters(WasmHttpFilters.beforeRbac(s.wasm()))
        .addAllHttpFilters(RbacFilters.http(s.policies(), s.service().clusterName()))
        .addAllHttpFilters(WasmHttpFilters.afterRbac(s.wasm()))
        .addHttpFilters(
            HttpFilter.newBuilder()
                .setName("envoy.filters.http.router")
                .setTypedConfig(Protos.any(Router.getDefaultInstance())))
        .build();
  }
}
