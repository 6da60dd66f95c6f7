package dev.ambient.controller.waypoint.xds;

import com.google.protobuf.Duration;
import com.google.protobuf.UInt32Value;
import dev.ambient.controller.waypoint.WaypointModel;
import io.envoyproxy.envoy.config.core.v3.Http2ProtocolOptions;
import io.envoyproxy.envoy.config.listener.v3.Filter;
import io.envoyproxy.envoy.config.listener.v3.FilterChain;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.DirectResponseAction;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteAction;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.config.route.v3.RouteMatch;
import io.envoyproxy.envoy.config.route.v3.VirtualHost;
import io.envoyproxy.envoy.extensions.filters.http.router.v3.Router;
import io.envoyproxy.envoy.extensions.filters.http.set_filter_state.v3.Config;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;

/**
 * The HBONE entry, {@code <waypoint ip>:15008}: mTLS, HTTP/2, and every CONNECT terminated into
 * {@code main_internal} with the CONNECT authority ({@code vip:port}) as the internal connection's
 * destination and the client's SPIFFE ID kept in filter state for L7 policy.
 */
final class TerminateListener {
  static final java.net.InetAddress ANY = anyIpv4();

  private TerminateListener() {}

  private static java.net.InetAddress anyIpv4() {
    try {
      return java.net.InetAddress.getByAddress(new byte[4]);
    } catch (java.net.UnknownHostException e) {
      throw new IllegalStateException(e);
    }
  }

  static Listener build(WaypointModel model) {
    return build(model, null);
  }

  /**
   * @param podBind pod mode when set: bind this address (0.0.0.0, every address of the pod's own
   *     network namespace, whose IP may not be known before it starts) and take the certificate
   *     from the agent's SDS; null: local mode, the waypoint's address and SDS over ADS
   */
  static Listener build(WaypointModel model, java.net.InetAddress podBind) {
    boolean pod = podBind != null;
    HttpConnectionManager hcm =
        HttpConnectionManager.newBuilder()
            .setStatPrefix(XdsNames.CONNECT_TERMINATE)
            .setCodecType(HttpConnectionManager.CodecType.HTTP2)
            .setHttp2ProtocolOptions(
                Http2ProtocolOptions.newBuilder()
                    .setAllowConnect(true)
                    .setMaxConcurrentStreams(UInt32Value.of(100)))
            .addUpgradeConfigs(
                HttpConnectionManager.UpgradeConfig.newBuilder().setUpgradeType("CONNECT"))
            // Tunnels live as long as the connections they carry.
            .setStreamIdleTimeout(Duration.getDefaultInstance())
            .setRouteConfig(connectRoutes())
            .addHttpFilters(
                HttpFilter.newBuilder()
                    .setName("envoy.filters.http.set_filter_state")
                    .setTypedConfig(Protos.any(handOff())))
            .addHttpFilters(
                HttpFilter.newBuilder()
                    .setName("envoy.filters.http.router")
                    .setTypedConfig(Protos.any(Router.getDefaultInstance())))
            .build();
    return Listener.newBuilder()
        .setName(XdsNames.CONNECT_TERMINATE)
        .setAddress(Protos.socket(pod ? podBind : model.address(), XdsNames.HBONE_PORT))
        // Few, long-lived tunnels; everything behind them runs on the accepting worker.
        .setConnectionBalanceConfig(
            io.envoyproxy.envoy.config.listener.v3.Listener.ConnectionBalanceConfig.newBuilder()
                .setExactBalance(
                    io.envoyproxy.envoy.config.listener.v3.Listener.ConnectionBalanceConfig
                        .ExactBalance.getDefaultInstance()))
        .addFilterChains(
            FilterChain.newBuilder()
                .setTransportSocket(WaypointTls.downstream(model.trustDomain(), pod))
                .addFilters(
                    Filter.newBuilder()
                        .setName("envoy.filters.network.http_connection_manager")
                        .setTypedConfig(Protos.any(hcm))))
        .build();
  }

  /** Only plain CONNECT is served; anything else gets 404. */
  private static RouteConfiguration connectRoutes() {
    Route connect =
        Route.newBuilder()
            .setMatch(
                RouteMatch.newBuilder()
                    .setConnectMatcher(RouteMatch.ConnectMatcher.getDefaultInstance()))
            .setRoute(
                RouteAction.newBuilder()
                    .setCluster(XdsNames.MAIN_INTERNAL)
                    .addUpgradeConfigs(
                        RouteAction.UpgradeConfig.newBuilder()
                            .setUpgradeType("CONNECT")
                            // With connect_config Envoy terminates the tunnel (raw TCP inside).
                            .setConnectConfig(
                                RouteAction.UpgradeConfig.ConnectConfig.getDefaultInstance())))
            .build();
    Route notFound =
        Route.newBuilder()
            .setMatch(RouteMatch.newBuilder().setPrefix("/"))
            .setDirectResponse(DirectResponseAction.newBuilder().setStatus(404))
            .build();
    return RouteConfiguration.newBuilder()
        .setName(XdsNames.CONNECT_TERMINATE)
        .addVirtualHosts(
            VirtualHost.newBuilder()
                .setName("connect")
                .addDomains("*")
                .addRoutes(connect)
                .addRoutes(notFound))
        .build();
  }

  /**
   * The authority becomes the internal connection's destination address (read by the original_dst
   * listener filter of main_internal); the peer's URI SAN is kept for RBAC, hashable so pooled
   * internal connections are not shared across principals.
   */
  private static Config handOff() {
    return Config.newBuilder()
        .addOnRequestHeaders(
            Protos.filterState(
                XdsNames.ORIGINAL_DST + ".local_ip", null, "%REQ(:AUTHORITY)%", true))
        .addOnRequestHeaders(
            Protos.filterState(
                XdsNames.ORIGINAL_DST + ".remote_ip", null, "%DOWNSTREAM_REMOTE_ADDRESS%", true))
        .addOnRequestHeaders(
            Protos.filterState(
                XdsNames.PEER_PRINCIPAL,
                "envoy.hashable_string",
                "%DOWNSTREAM_PEER_URI_SAN%",
                true))
        .build();
  }
}
