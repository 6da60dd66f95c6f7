package dev.ambient.controller.waypoint.xds;

import com.google.protobuf.UInt32Value;
import dev.ambient.controller.waypoint.HeaderMatch;
import dev.ambient.controller.waypoint.HeaderModifier;
import dev.ambient.controller.waypoint.Mirror;
import dev.ambient.controller.waypoint.PathMatch;
import dev.ambient.controller.waypoint.PathModifier;
import dev.ambient.controller.waypoint.QueryMatch;
import dev.ambient.controller.waypoint.Redirect;
import dev.ambient.controller.waypoint.RouteRule;
import dev.ambient.controller.waypoint.RouteTimeouts;
import dev.ambient.controller.waypoint.ServiceListener;
import dev.ambient.controller.waypoint.UrlRewrite;
import dev.ambient.controller.waypoint.WeightedBackend;
import io.envoyproxy.envoy.config.core.v3.HeaderValue;
import io.envoyproxy.envoy.config.core.v3.HeaderValueOption;
import io.envoyproxy.envoy.config.core.v3.RuntimeFractionalPercent;
import io.envoyproxy.envoy.config.route.v3.DirectResponseAction;
import io.envoyproxy.envoy.config.route.v3.HeaderMatcher;
import io.envoyproxy.envoy.config.route.v3.QueryParameterMatcher;
import io.envoyproxy.envoy.config.route.v3.RedirectAction;
import io.envoyproxy.envoy.config.route.v3.RetryPolicy;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteAction;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.config.route.v3.RouteMatch;
import io.envoyproxy.envoy.config.route.v3.VirtualHost;
import io.envoyproxy.envoy.config.route.v3.WeightedCluster;
import io.envoyproxy.envoy.type.matcher.v3.FilterStateMatcher;
import io.envoyproxy.envoy.type.matcher.v3.RegexMatchAndSubstitute;
import io.envoyproxy.envoy.type.matcher.v3.RegexMatcher;
import io.envoyproxy.envoy.type.matcher.v3.StringMatcher;
import io.envoyproxy.envoy.type.v3.FractionalPercent;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * A service listener's route table as an Envoy {@link RouteConfiguration}: routes in model order
 * (first match wins), Gateway API matches (path, headers, method, query parameters), weighted
 * backends, header modifiers (route and per backend; the backend's win), redirects, URL rewrites,
 * mirrors and timeouts. No route matching gives Envoy's 404.
 *
 * <p>Envoy applies a weighted cluster's header mutations before the route's, whatever {@code
 * most_specific_header_mutations_wins} says (seen in 1.40), so a rule's {@code set} would undo its
 * backendRef's. When a backend has filters of its own, the rule's and the backend's are therefore
 * composed on each weighted cluster (rule first, then backend, as Gateway API reads) and the route
 * itself carries none.
 */
final class RouteTables {
  /**
   * The cluster an invalid backendRef's share is sent to: no such cluster exists, and the route
   * answers a missing cluster with 500 (Gateway API's answer for an invalid backend).
   */
  static final String INVALID_BACKEND = "invalid-backend";

  private RouteTables() {}

  static RouteConfiguration build(ServiceListener s) {
    VirtualHost.Builder vh =
        VirtualHost.newBuilder().setName(s.service().clusterName()).addDomains("*");
    List<RouteRule> rules = s.routes();
    for (int i = 0; i < rules.size(); i++) {
      RouteRule r = rules.get(i);
      vh.addRoutes(route(r, s.port()));
      String consumers = r.sourceNamespace();
      boolean lastOfGroup =
          i + 1 == rules.size()
              || !java.util.Objects.equals(consumers, rules.get(i + 1).sourceNamespace());
      if (consumers != null && lastOfGroup) {
        // Clients with consumer routes use only those (GEP-1294): never the producer's below.
        vh.addRoutes(
            Route.newBuilder()
                .setName("consumers." + consumers + ".not-found")
                .setMatch(clientsOf(consumers, RouteMatch.newBuilder().setPrefix("/")))
                .setDirectResponse(DirectResponseAction.newBuilder().setStatus(404)));
      }
    }
    return RouteConfiguration.newBuilder()
        .setName(MainInternalListener.routeName(s))
        // The route table is only reached through its listener; Envoy must not guess by vhost.
        .setValidateClusters(com.google.protobuf.BoolValue.of(false))
        .addVirtualHosts(vh)
        .build();
  }

  /**
   * @param servicePort the listener's port: a redirect without scheme or port keeps it
   */
  static Route route(RouteRule r, int servicePort) {
    Route.Builder b = Route.newBuilder().setName(r.name()).setMatch(match(r));
    if (r.redirect() != null) {
      b.setRedirect(redirect(r.redirect(), servicePort));
    } else if (!r.hasTraffic()
        || r.backends().stream().noneMatch(w -> w.isValid() && w.weight() > 0)) {
      // No backend gets traffic, or every one is invalid: Gateway API's 500.
      b.setDirectResponse(DirectResponseAction.newBuilder().setStatus(500));
    } else {
      b.setRoute(action(r));
      if (r.backends().stream().anyMatch(WeightedBackend::hasFilters)) {
        return b.build(); // the rule's header filters are on every weighted cluster
      }
    }
    addRequestHeaders(b, r.requestHeaders());
    addResponseHeaders(b, r.responseHeaders());
    return b.build();
  }

  private static RouteAction action(RouteRule r) {
    RouteAction.Builder action = RouteAction.newBuilder();
    List<WeightedBackend> backends = r.backends();
    WeightedBackend only = backends.size() == 1 ? backends.get(0) : null;
    boolean composed = backends.stream().anyMatch(WeightedBackend::hasFilters);
    if (only != null && only.isValid() && !composed) {
      action.setCluster(only.ref().clusterName());
    } else {
      WeightedCluster.Builder wc = WeightedCluster.newBuilder();
      boolean invalid = false;
      for (WeightedBackend w : backends) {
        if (w.weight() == 0) {
          continue;
        }
        invalid |= !w.isValid();
        WeightedCluster.ClusterWeight.Builder cw =
            WeightedCluster.ClusterWeight.newBuilder()
                .setName(w.isValid() ? w.ref().clusterName() : INVALID_BACKEND)
                .setWeight(UInt32Value.of(w.weight()));
        if (composed) {
          HeaderModifier req = r.requestHeaders();
          HeaderModifier res = r.responseHeaders();
          cw.addAllRequestHeadersToAdd(composedAdds(req, w.requestHeaders()))
              .addAllRequestHeadersToRemove(composedRemoves(req, w.requestHeaders()))
              .addAllResponseHeadersToAdd(composedAdds(res, w.responseHeaders()))
              .addAllResponseHeadersToRemove(composedRemoves(res, w.responseHeaders()));
        }
        wc.addClusters(cw);
      }
      action.setWeightedClusters(wc);
      if (invalid) {
        action.setClusterNotFoundResponseCode(
            RouteAction.ClusterNotFoundResponseCode.INTERNAL_SERVER_ERROR);
      }
    }
    UrlRewrite rw = r.rewrite();
    if (rw != null) {
      if (rw.hostname() != null) {
        action.setHostRewriteLiteral(rw.hostname());
      }
      if (rw.path() != null) {
        action.setRegexRewrite(pathRewrite(rw.path()));
      }
    }
    for (Mirror m : r.mirrors()) {
      action.addRequestMirrorPolicies(
          RouteAction.RequestMirrorPolicy.newBuilder()
              .setCluster(m.ref().clusterName())
              .setRuntimeFraction(
                  RuntimeFractionalPercent.newBuilder().setDefaultValue(fraction(m))));
    }
    RouteTimeouts t = r.timeouts();
    // Envoy's default route timeout is 15 s; Gateway API's default here is none (streams).
    action.setTimeout(duration(t.request() == null ? Duration.ZERO : t.request()));
    if (t.backendRequest() != null && !t.backendRequest().isZero()) {
      action.setRetryPolicy(
          RetryPolicy.newBuilder()
              .setNumRetries(UInt32Value.of(0))
              .setPerTryTimeout(duration(t.backendRequest())));
    }
    return action.build();
  }

  private static com.google.protobuf.Duration duration(Duration d) {
    return com.google.protobuf.Duration.newBuilder()
        .setSeconds(d.getSeconds())
        .setNanos(d.getNano())
        .build();
  }

  /** The mirrored share, exactly where a denominator Envoy knows allows it. */
  static FractionalPercent fraction(Mirror m) {
    long n = m.numerator();
    long d = m.denominator();
    FractionalPercent.DenominatorType[] types = {
      FractionalPercent.DenominatorType.HUNDRED,
      FractionalPercent.DenominatorType.TEN_THOUSAND,
      FractionalPercent.DenominatorType.MILLION
    };
    long[] scales = {100, 10_000, 1_000_000};
    for (int i = 0; i < scales.length; i++) {
      if ((n * scales[i]) % d == 0) {
        return FractionalPercent.newBuilder()
            .setNumerator((int) (n * scales[i] / d))
            .setDenominator(types[i])
            .build();
      }
    }
    return FractionalPercent.newBuilder()
        .setNumerator((int) (n * 1_000_000 / d))
        .setDenominator(FractionalPercent.DenominatorType.MILLION)
        .build();
  }

  private static RedirectAction redirect(Redirect r, int servicePort) {
    RedirectAction.Builder b = RedirectAction.newBuilder();
    if (r.scheme() != null) {
      b.setSchemeRedirect(r.scheme());
    }
    if (r.hostname() != null) {
      b.setHostRedirect(r.hostname());
    }
    // Gateway API: no port given -> the scheme's well-known port, else the listener's port; and
    // the Location leaves out 80 for http and 443 for https. Envoy writes any port it is given,
    // so a well-known one is not given (Envoy then keeps the request's, or the new host's, port).
    // Requests reach the waypoint as plain HTTP inside HBONE: without a scheme it stays http.
    String scheme = r.scheme() == null ? "http" : r.scheme();
    int wellKnown = scheme.equals("https") ? 443 : 80;
    int port = r.port() != null ? r.port() : r.scheme() == null ? servicePort : wellKnown;
    if (port != wellKnown) {
      b.setPortRedirect(port);
    }
    PathModifier p = r.path();
    if (p != null) {
      if (p.kind() == PathModifier.Kind.FULL) {
        b.setPathRedirect(p.value());
      } else {
        b.setRegexRewrite(pathRewrite(p));
      }
    }
    b.setResponseCode(
        switch (r.statusCode()) {
          case 301 -> RedirectAction.RedirectResponseCode.MOVED_PERMANENTLY;
          case 303 -> RedirectAction.RedirectResponseCode.SEE_OTHER;
          case 307 -> RedirectAction.RedirectResponseCode.TEMPORARY_REDIRECT;
          case 308 -> RedirectAction.RedirectResponseCode.PERMANENT_REDIRECT;
          default -> RedirectAction.RedirectResponseCode.FOUND;
        });
    return b.build();
  }

  /**
   * A Gateway API path modifier as a regex rewrite of the path (the query string is kept). For
   * ReplacePrefixMatch the matched prefix is replaced whole segments at a time: {@code /foo} ->
   * {@code /bar} turns {@code /foo/x} into {@code /bar/x}, and {@code /foo} -> {@code /} turns it
   * into {@code /x} (Envoy's plain prefix_rewrite would give {@code //x}).
   */
  static RegexMatchAndSubstitute pathRewrite(PathModifier p) {
    if (p.kind() == PathModifier.Kind.FULL) {
      return regexRewrite("^/.*$", substitution(p.value()));
    }
    String prefix = trimSlashes(p.prefix());
    String replacement = trimSlashes(p.value());
    if (replacement.isEmpty()) {
      // "/foo/x" -> "/x", "/foo" -> "/"
      return regexRewrite("^" + quote(prefix) + "/*", "/");
    }
    if (prefix.isEmpty()) {
      // Prefix "/" matched everything: "/x" -> "/bar/x".
      return regexRewrite("^/", substitution(replacement) + "/");
    }
    return regexRewrite("^" + quote(prefix), substitution(replacement));
  }

  private static RegexMatchAndSubstitute regexRewrite(String pattern, String substitution) {
    return RegexMatchAndSubstitute.newBuilder()
        .setPattern(RegexMatcher.newBuilder().setRegex(pattern))
        .setSubstitution(substitution)
        .build();
  }

  private static String trimSlashes(String path) {
    String s = path;
    while (s.endsWith("/")) {
      s = s.substring(0, s.length() - 1);
    }
    return s;
  }

  /** RE2 literal: every character that is not a letter, digit or underscore escaped. */
  static String quote(String literal) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < literal.length(); i++) {
      char c = literal.charAt(i);
      if (!Character.isLetterOrDigit(c) && c != '_' && c < 0x80) {
        b.append('\\');
      }
      b.append(c);
    }
    return b.toString();
  }

  /** A literal in a regex substitution: a backslash would start a group reference. */
  private static String substitution(String literal) {
    return literal.replace("\\", "\\\\");
  }

  /**
   * Only requests whose HBONE peer (the filter state the terminating listener kept) is a workload
   * of {@code namespace}, in any trust domain.
   */
  private static RouteMatch.Builder clientsOf(String namespace, RouteMatch.Builder m) {
    return m.addFilterState(
        FilterStateMatcher.newBuilder()
            .setKey(XdsNames.PEER_PRINCIPAL)
            .setStringMatch(
                StringMatcher.newBuilder()
                    .setSafeRegex(
                        RegexMatcher.newBuilder()
                            .setRegex("spiffe://[^/]+/ns/" + namespace + "/sa/[^/]+"))));
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
      m.addHeaders(
          HeaderMatcher.newBuilder()
              .setName(h.name())
              .setStringMatch(stringMatch(h.value(), h.regex())));
    }
    if (r.method() != null) {
      m.addHeaders(
          HeaderMatcher.newBuilder()
              .setName(":method")
              .setStringMatch(stringMatch(r.method(), false)));
    }
    if (r.sourceNamespace() != null) {
      clientsOf(r.sourceNamespace(), m);
    }
    for (QueryMatch q : r.queryParams()) {
      m.addQueryParameters(
          QueryParameterMatcher.newBuilder()
              .setName(q.name())
              .setStringMatch(stringMatch(q.value(), q.regex())));
    }
    return m.build();
  }

  private static StringMatcher stringMatch(String value, boolean regex) {
    return regex
        ? StringMatcher.newBuilder().setSafeRegex(RegexMatcher.newBuilder().setRegex(value)).build()
        : StringMatcher.newBuilder().setExact(value).build();
  }

  private static void addRequestHeaders(Route.Builder b, HeaderModifier mod) {
    b.addAllRequestHeadersToAdd(headerOptions(mod));
    b.addAllRequestHeadersToRemove(mod.remove());
  }

  private static void addResponseHeaders(Route.Builder b, HeaderModifier mod) {
    b.addAllResponseHeadersToAdd(headerOptions(mod));
    b.addAllResponseHeadersToRemove(mod.remove());
  }

  /**
   * The header additions of {@code first} then {@code second} on one Envoy level, where removals
   * run before additions in list order: {@code first}'s additions of headers {@code second} sets or
   * removes are left out, so the result is as if they had run one after the other.
   */
  private static List<HeaderValueOption> composedAdds(HeaderModifier first, HeaderModifier second) {
    java.util.Set<String> overridden = new java.util.HashSet<>(second.remove());
    overridden.addAll(second.set().keySet());
    List<HeaderValueOption> out = new java.util.ArrayList<>();
    for (HeaderValueOption o : headerOptions(first)) {
      if (!overridden.contains(o.getHeader().getKey())) {
        out.add(o);
      }
    }
    out.addAll(headerOptions(second));
    return out;
  }

  private static List<String> composedRemoves(HeaderModifier first, HeaderModifier second) {
    java.util.Set<String> out = new java.util.LinkedHashSet<>(first.remove());
    out.addAll(second.remove());
    return List.copyOf(out);
  }

  /** {@code set} overwrites, {@code add} appends. */
  private static List<HeaderValueOption> headerOptions(HeaderModifier mod) {
    List<HeaderValueOption> out = new java.util.ArrayList<>();
    for (Map.Entry<String, String> e : mod.set().entrySet()) {
      out.add(headerOption(e, HeaderValueOption.HeaderAppendAction.OVERWRITE_IF_EXISTS_OR_ADD));
    }
    for (Map.Entry<String, String> e : mod.add().entrySet()) {
      out.add(headerOption(e, HeaderValueOption.HeaderAppendAction.APPEND_IF_EXISTS_OR_ADD));
    }
    return out;
  }

  private static HeaderValueOption headerOption(
      Map.Entry<String, String> e, HeaderValueOption.HeaderAppendAction action) {
    // Envoy reads header values as format strings: a literal % must be doubled.
    return HeaderValueOption.newBuilder()
        .setHeader(
            HeaderValue.newBuilder().setKey(e.getKey()).setValue(e.getValue().replace("%", "%%")))
        .setAppendAction(action)
        .build();
  }
}
