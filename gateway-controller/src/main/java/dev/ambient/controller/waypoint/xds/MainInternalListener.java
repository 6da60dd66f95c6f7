package dev.ambient.controller.waypoint.xds;

import com.google.protobuf.Duration;
import com.google.protobuf.UInt32Value;
import dev.ambient.controller.waypoint.ServiceListener;
import dev.ambient.controller.waypoint.ServiceProtocol;
import dev.ambient.controller.waypoint.WaypointModel;
import dev.ambient.controller.waypoint.WorkloadListener;
import io.envoyproxy.envoy.config.core.v3.CidrRange;
import io.envoyproxy.envoy.config.listener.v3.Filter;
import io.envoyproxy.envoy.config.listener.v3.FilterChain;
import io.envoyproxy.envoy.config.listener.v3.FilterChainMatch;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.listener.v3.ListenerFilter;
import io.envoyproxy.envoy.config.listener.v3.ListenerFilterChainMatchPredicate;
import io.envoyproxy.envoy.extensions.filters.http.router.v3.Router;
import io.envoyproxy.envoy.extensions.filters.listener.http_inspector.v3.HttpInspector;
import io.envoyproxy.envoy.extensions.filters.listener.original_dst.v3.OriginalDst;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.Rds;
import io.envoyproxy.envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy;
import io.envoyproxy.envoy.type.v3.Int32Range;
import java.util.ArrayList;
import java.util.List;

/**
 * The internal listener behind 15008: one filter chain per service VIP and port, chosen by the
 * destination the terminate listener handed over. HTTP chains route through RDS (so route changes
 * do not touch the listener and never drain its connections); TCP chains proxy at L4; a port that
 * does not declare its protocol gets both, chosen per connection by the HTTP inspector. A
 * destination no chain matches is closed: fail closed.
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
    List<Integer> detected = new ArrayList<>();
    for (ServiceListener s : model.listeners()) {
      if (s.protocol() == ServiceProtocol.DETECT) {
        l.addFilterChains(chain(s, ServiceProtocol.HTTP, s.hostPort() + "/http", HTTP_PROTOCOLS));
        l.addFilterChains(chain(s, ServiceProtocol.TCP, s.hostPort() + "/tcp", List.of()));
        if (!detected.contains(s.port())) {
          detected.add(s.port());
        }
      } else {
        l.addFilterChains(chain(s, s.protocol(), s.hostPort(), List.of()));
      }
    }
    for (WorkloadListener w : model.workloads()) {
      l.addFilterChains(workloadChain(w));
    }
    if (!detected.isEmpty()) {
      // The inspector reads the first bytes only on ports that need it: a server-first protocol on
      // a declared port never waits for it. On a detected port it waits up to the timeout, then
      // continues as TCP, as Istio's sniffing does.
      ListenerFilterChainMatchPredicate.MatchSet.Builder ports =
          ListenerFilterChainMatchPredicate.MatchSet.newBuilder();
      for (int port : detected) {
        ports.addRules(
            ListenerFilterChainMatchPredicate.newBuilder()
                .setDestinationPortRange(Int32Range.newBuilder().setStart(port).setEnd(port + 1)));
      }
      l.addListenerFilters(
              ListenerFilter.newBuilder()
                  .setName("envoy.filters.listener.http_inspector")
                  .setTypedConfig(Protos.any(HttpInspector.getDefaultInstance()))
                  .setFilterDisabled(
                      ListenerFilterChainMatchPredicate.newBuilder()
                          .setNotMatch(
                              ListenerFilterChainMatchPredicate.newBuilder().setOrMatch(ports))))
          .setListenerFiltersTimeout(Duration.newBuilder().setSeconds(5))
          .setContinueOnListenerFiltersTimeout(true);
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

  /**
   * Any port of a pod that uses the waypoint for itself: policy, then an HBONE tunnel straight back
   * to the destination the client asked for (the connection's restored local address, through the
   * original-destination originate cluster), the pod's ztunnel required to present the pod's
   * identity.
   */
  private static FilterChain workloadChain(WorkloadListener w) {
    String ip = w.address().getHostAddress();
    String stats = "workload|" + w.workload();
    return FilterChain.newBuilder()
        .setName("workload/" + ip)
        .setFilterChainMatch(
            FilterChainMatch.newBuilder()
                .addPrefixRanges(
                    CidrRange.newBuilder()
                        .setAddressPrefix(ip)
                        .setPrefixLen(UInt32Value.of(ip.contains(":") ? 128 : 32))))
        .addAllFilters(RbacFilters.network(w.policies(), stats))
        .addAllFilters(OriginateResources.tunnel(w.identity().uri(), stats))
        .build();
  }

  /** What the HTTP inspector reports for HTTP/1.x and prior-knowledge HTTP/2. */
  private static final List<String> HTTP_PROTOCOLS = List.of("http/1.1", "http/1.0", "h2c");

  /**
   * @param protocol HTTP or TCP: how this chain handles the service's traffic
   * @param applicationProtocols what the HTTP inspector must have seen, or empty for any
   */
  private static FilterChain chain(
      ServiceListener s, ServiceProtocol protocol, String name, List<String> applicationProtocols) {
    String ip = s.vip().getHostAddress();
    FilterChainMatch match =
        FilterChainMatch.newBuilder()
            .addPrefixRanges(
                CidrRange.newBuilder()
                    .setAddressPrefix(ip)
                    .setPrefixLen(UInt32Value.of(ip.contains(":") ? 128 : 32)))
            .setDestinationPort(UInt32Value.of(s.port()))
            .addAllApplicationProtocols(applicationProtocols)
            .build();
    FilterChain.Builder chain = FilterChain.newBuilder().setName(name).setFilterChainMatch(match);
    if (protocol == ServiceProtocol.TCP) {
      // Policy first: a denied connection never reaches tcp_proxy.
      chain.addAllFilters(RbacFilters.network(s.policies(), s.tcpBackend().clusterName()));
    }
    Filter filter =
        protocol == ServiceProtocol.TCP
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
