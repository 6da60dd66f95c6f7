package dev.ambient.controller.waypoint.xds;

import com.google.protobuf.UInt32Value;
import dev.ambient.controller.waypoint.HeaderMatch;
import dev.ambient.controller.waypoint.HeaderModifier;
import dev.ambient.controller.waypoint.PathMatch;
import dev.ambient.controller.waypoint.RouteRule;
import dev.ambient.controller.waypoint.ServiceListener;
import dev.ambient.controller.waypoint.WeightedBackend;
import io.envoyproxy.envoy.config.core.v3.HeaderValue;
import io.envoyproxy.envoy.config.core.v3.HeaderValueOption;
import io.envoyproxy.envoy.config.route.v3.HeaderMatcher;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteAction;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.config.route.v3.RouteMatch;
import io.envoyproxy.envoy.config.route.v3.VirtualHost;
import io.envoyproxy.envoy.config.route.v3.WeightedCluster;
import io.envoyproxy.envoy.type.matcher.v3.RegexMatcher;
import io.envoyproxy.envoy.type.matcher.v3.StringMatcher;
import java.util.Map;

/**
 * A service listener's route table as an Envoy {@link RouteConfiguration}: routes in model order
 * (first match wins), Gateway API matches, weighted backends and request header modifiers. No route
 * matching gives Envoy's 404.
 */
final class RouteTables {
  private RouteTables() {}

  static RouteConfiguration build(ServiceListener s) {
    VirtualHost.Builder vh =
        VirtualHost.newBuilder().setName(s.service().clusterName()).addDomains("*");
    for (RouteRule r : s.routes()) {
      vh.addRoutes(route(r));
    }
    return RouteConfiguration.newBuilder()
        .setName(MainInternalListener.routeName(s))
        // The route table is only reached through its listener; Envoy must not guess by vhost.
        .setValidateClusters(com.google.protobuf.BoolValue.of(false))
        .addVirtualHosts(vh)
        .build();
  }

  static Route route(RouteRule r) {
    Route.Builder b = Route.newBuilder().setName(r.name()).setMatch(match(r));
    RouteAction.Builder action = RouteAction.newBuilder();
    if (r.backends().size() == 1) {
      action.setCluster(r.backends().get(0).ref().clusterName());
    } else {
      WeightedCluster.Builder wc = WeightedCluster.newBuilder();
      for (WeightedBackend w : r.backends()) {
        wc.addClusters(
            WeightedCluster.ClusterWeight.newBuilder()
                .setName(w.ref().clusterName())
                .setWeight(UInt32Value.of(w.weight())));
      }
      action.setWeightedClusters(wc);
    }
    b.setRoute(action);
    addHeaderModifier(b, r.requestHeaders());
    return b.build();
  }

  private static RouteMatch match(RouteRule r) {
    RouteMatch.Builder m = RouteMatch.newBuilder();
    PathMatch p = r.path();
    switch (p.kind()) {
      case EXACT:
        m.setPath(p.value());
        break;
      case REGEX:
        m.setSafeRegex(RegexMatcher.newBuilder().setRegex(p.value()));
        break;
      default:
        // Gateway API prefixes match whole segments; "/" (everything) is not a valid separated
        // prefix in Envoy.
        String prefix = p.value();
        while (prefix.length() > 1 && prefix.endsWith("/")) {
          prefix = prefix.substring(0, prefix.length() - 1);
        }
        if (prefix.equals("/")) {
          m.setPrefix("/");
        } else {
          m.setPathSeparatedPrefix(prefix);
        }
    }
    for (HeaderMatch h : r.headers()) {
      m.addHeaders(header(h.name(), h.value(), h.regex()));
    }
    if (r.method() != null) {
      m.addHeaders(header(":method", r.method(), false));
    }
    return m.build();
  }

  private static HeaderMatcher header(String name, String value, boolean regex) {
    StringMatcher sm =
        regex
            ? StringMatcher.newBuilder()
                .setSafeRegex(RegexMatcher.newBuilder().setRegex(value))
                .build()
            : StringMatcher.newBuilder().setExact(value).build();
    return HeaderMatcher.newBuilder().setName(name).setStringMatch(sm).build();
  }

  private static void addHeaderModifier(Route.Builder b, HeaderModifier mod) {
    for (Map.Entry<String, String> e : mod.set().entrySet()) {
      b.addRequestHeadersToAdd(
          headerOption(e, HeaderValueOption.HeaderAppendAction.OVERWRITE_IF_EXISTS_OR_ADD));
    }
    for (Map.Entry<String, String> e : mod.add().entrySet()) {
      b.addRequestHeadersToAdd(
          headerOption(e, HeaderValueOption.HeaderAppendAction.APPEND_IF_EXISTS_OR_ADD));
    }
    b.addAllRequestHeadersToRemove(mod.remove());
  }

  private static HeaderValueOption headerOption(
      Map.Entry<String, String> e, HeaderValueOption.HeaderAppendAction action) {
    return HeaderValueOption.newBuilder()
        .setHeader(HeaderValue.newBuilder().setKey(e.getKey()).setValue(e.getValue()))
        .setAppendAction(action)
        .build();
  }
}
