package dev.ambient.controller.waypoint;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ambient.controller.waypoint.xds.WaypointResources;
import dev.ambient.ztunnel.testing.TestPki;
import io.envoyproxy.envoy.config.core.v3.HeaderValueOption;
import io.envoyproxy.envoy.config.route.v3.RedirectAction;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteAction;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.type.matcher.v3.RegexMatchAndSubstitute;
import io.envoyproxy.envoy.type.v3.FractionalPercent;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The Envoy route protos for query matches, filters, timeouts and invalid backends. */
class WaypointResourcesFiltersTest {
  private static final BackendRef ECHO =
      new BackendRef("default/echo.default.svc.cluster.local", 80);
  private static final BackendRef V2 =
      new BackendRef("default/echo-v2.default.svc.cluster.local", 80);
  private static final TestPki PKI = new TestPki("cluster.local");

  private static RouteRule rule(
      String name,
      PathMatch path,
      List<QueryMatch> query,
      List<WeightedBackend> backends,
      HeaderModifier response,
      Redirect redirect,
      UrlRewrite rewrite,
      List<Mirror> mirrors,
      RouteTimeouts timeouts) {
    return new RouteRule(
        name, path, List.of(), null, query, backends, null, response, redirect, rewrite, mirrors,
        timeouts);
  }

  private static RouteRule to(String name, PathMatch path, List<WeightedBackend> backends) {
    return rule(name, path, List.of(), backends, null, null, null, List.of(), null);
  }

  /** The route table Envoy gets for these rules on echo:80. */
  private static RouteConfiguration table(RouteRule... rules) throws Exception {
    InetAddress vip = InetAddress.getByName("10.1.0.1");
    Set<BackendRef> refs = new LinkedHashSet<>();
    for (RouteRule r : rules) {
      refs.addAll(r.referencedBackends());
    }
    List<Backend> backends = new ArrayList<>();
    for (BackendRef ref : refs) {
      backends.add(new Backend(ref, List.of()));
    }
    WaypointModel model =
        new WaypointModel(
            "default/waypoint",
            PKI.identity("default", "waypoint"),
            InetAddress.getByName("10.0.0.9"),
            List.of(ServiceListener.http(vip, ECHO, List.of(rules))),
            backends);
    return WaypointResources.of(model, PKI.issue(model.identity())).routes().get(0);
  }

  private static Route only(RouteRule r) throws Exception {
    RouteConfiguration table = table(r);
    assertThat(table.getVirtualHosts(0).getRoutesCount()).isEqualTo(1);
    return table.getVirtualHosts(0).getRoutes(0);
  }

  @Test
  void queryParametersResponseHeadersAndNoDefaultTimeout() throws Exception {
    Route r =
        only(
            rule(
                "q",
                PathMatch.any(),
                List.of(QueryMatch.exact("debug", "1"), new QueryMatch("user", "a.*", true)),
                List.of(new WeightedBackend(ECHO, 1)),
                new HeaderModifier(Map.of("x-served", "100%"), Map.of(), List.of("server")),
                null,
                null,
                List.of(),
                null));
    assertThat(r.getMatch().getQueryParametersList())
        .extracting(q -> q.getName())
        .containsExactly("debug", "user");
    assertThat(r.getMatch().getQueryParameters(0).getStringMatch().getExact()).isEqualTo("1");
    assertThat(r.getMatch().getQueryParameters(1).getStringMatch().getSafeRegex().getRegex())
        .isEqualTo("a.*");
    assertThat(r.getResponseHeadersToAddList())
        .extracting(h -> h.getHeader().getKey(), h -> h.getHeader().getValue())
        .containsExactly(org.assertj.core.groups.Tuple.tuple("x-served", "100%%"));
    assertThat(r.getResponseHeadersToAdd(0).getAppendAction())
        .isEqualTo(HeaderValueOption.HeaderAppendAction.OVERWRITE_IF_EXISTS_OR_ADD);
    assertThat(r.getResponseHeadersToRemoveList()).containsExactly("server");
    assertThat(r.getRoute().getCluster()).isEqualTo(ECHO.clusterName());
    // Envoy's default is 15 s; GAMMA's streams need none.
    assertThat(r.getRoute().hasTimeout()).isTrue();
    assertThat(r.getRoute().getTimeout().getSeconds()).isZero();
    assertThat(r.getRoute().hasRetryPolicy()).isFalse();
  }

  @Test
  void timeoutsMirrorsAndRewrites() throws Exception {
    Route r =
        only(
            rule(
                "t",
                PathMatch.prefix("/api"),
                List.of(),
                List.of(new WeightedBackend(ECHO, 1)),
                null,
                null,
                new UrlRewrite("backend.internal", PathModifier.prefix("/api", "/v2")),
                List.of(new Mirror(V2, 25, 100), new Mirror(V2, 1, 3)),
                new RouteTimeouts(Duration.ofSeconds(10), Duration.ofMillis(1500))));
    RouteAction a = r.getRoute();
    assertThat(a.getTimeout().getSeconds()).isEqualTo(10);
    assertThat(a.getRetryPolicy().getPerTryTimeout().getSeconds()).isEqualTo(1);
    assertThat(a.getRetryPolicy().getPerTryTimeout().getNanos()).isEqualTo(500_000_000);
    assertThat(a.getRetryPolicy().getNumRetries().getValue()).isZero();
    assertThat(a.getHostRewriteLiteral()).isEqualTo("backend.internal");
    assertThat(rewrite(a.getRegexRewrite(), "/api/x?y=1")).isEqualTo("/v2/x?y=1");
    assertThat(a.getRequestMirrorPoliciesList())
        .extracting(m -> m.getCluster())
        .containsExactly(V2.clusterName(), V2.clusterName());
    FractionalPercent quarter =
        a.getRequestMirrorPolicies(0).getRuntimeFraction().getDefaultValue();
    assertThat(quarter.getNumerator()).isEqualTo(25);
    assertThat(quarter.getDenominator()).isEqualTo(FractionalPercent.DenominatorType.HUNDRED);
    FractionalPercent third = a.getRequestMirrorPolicies(1).getRuntimeFraction().getDefaultValue();
    assertThat(third.getNumerator()).isEqualTo(333_333);
    assertThat(third.getDenominator()).isEqualTo(FractionalPercent.DenominatorType.MILLION);
  }

  @Test
  void prefixRewritesReplaceWholeSegments() throws Exception {
    assertThat(prefixRewrite("/foo", "/bar", "/foo/x")).isEqualTo("/bar/x");
    assertThat(prefixRewrite("/foo", "/bar", "/foo")).isEqualTo("/bar");
    assertThat(prefixRewrite("/foo/", "/bar/", "/foo/x")).isEqualTo("/bar/x");
    assertThat(prefixRewrite("/foo", "/", "/foo/x")).isEqualTo("/x");
    assertThat(prefixRewrite("/foo", "/", "/foo")).isEqualTo("/");
    assertThat(prefixRewrite("/", "/bar", "/x")).isEqualTo("/bar/x");
    assertThat(prefixRewrite("/a.b", "/c", "/a.b/x")).isEqualTo("/c/x");
    Route full =
        only(
            rule(
                "f",
                PathMatch.any(),
                List.of(),
                List.of(new WeightedBackend(ECHO, 1)),
                null,
                null,
                new UrlRewrite(null, PathModifier.full("/one")),
                List.of(),
                null));
    assertThat(rewrite(full.getRoute().getRegexRewrite(), "/full/one/two")).isEqualTo("/one");
    assertThat(full.getRoute().hasHostRewriteLiteral()).isFalse();
  }

  private static String prefixRewrite(String prefix, String replacement, String path)
      throws Exception {
    Route r =
        only(
            rule(
                "p",
                PathMatch.prefix(prefix),
                List.of(),
                List.of(new WeightedBackend(ECHO, 1)),
                null,
                null,
                new UrlRewrite(null, PathModifier.prefix(prefix, replacement)),
                List.of(),
                null));
    return rewrite(r.getRoute().getRegexRewrite(), path);
  }

  /** What Envoy's regex rewrite does to the path part (java.util.regex stands in for RE2). */
  private static String rewrite(RegexMatchAndSubstitute rw, String pathAndQuery) {
    int q = pathAndQuery.indexOf('?');
    String path = q < 0 ? pathAndQuery : pathAndQuery.substring(0, q);
    String query = q < 0 ? "" : pathAndQuery.substring(q);
    String substitution = rw.getSubstitution().replace("\\\\", "\\");
    return Pattern.compile(rw.getPattern().getRegex())
            .matcher(path)
            .replaceFirst(Matcher.quoteReplacement(substitution))
        + query;
  }

  @Test
  void redirects() throws Exception {
    RouteConfiguration table =
        table(
            rule(
                "scheme",
                PathMatch.exact("/s"),
                List.of(),
                List.of(),
                null,
                new Redirect("https", null, null, null, 301),
                null,
                List.of(),
                null),
            rule(
                "host",
                PathMatch.prefix("/old"),
                List.of(),
                List.of(),
                null,
                new Redirect(null, "example.com", PathModifier.prefix("/old", "/new"), null, 302),
                null,
                List.of(),
                null),
            rule(
                "port",
                PathMatch.any(),
                List.of(),
                List.of(),
                null,
                new Redirect(null, null, PathModifier.full("/p"), 8080, 308),
                null,
                List.of(),
                null));
    RedirectAction scheme = table.getVirtualHosts(0).getRoutes(0).getRedirect();
    assertThat(scheme.getSchemeRedirect()).isEqualTo("https");
    assertThat(scheme.getPortRedirect()).as("the scheme's well-known port: not written").isZero();
    assertThat(scheme.getResponseCode())
        .isEqualTo(RedirectAction.RedirectResponseCode.MOVED_PERMANENTLY);
    RedirectAction host = table.getVirtualHosts(0).getRoutes(1).getRedirect();
    assertThat(host.getHostRedirect()).isEqualTo("example.com");
    assertThat(host.getPortRedirect()).as("the service port, 80: not written").isZero();
    assertThat(host.getResponseCode()).isEqualTo(RedirectAction.RedirectResponseCode.FOUND);
    assertThat(rewrite(host.getRegexRewrite(), "/old/x")).isEqualTo("/new/x");
    RedirectAction port = table.getVirtualHosts(0).getRoutes(2).getRedirect();
    assertThat(port.getPortRedirect()).isEqualTo(8080);
    assertThat(port.getPathRedirect()).isEqualTo("/p");
    assertThat(port.getResponseCode())
        .isEqualTo(RedirectAction.RedirectResponseCode.PERMANENT_REDIRECT);
  }

  @Test
  void invalidBackendsGet500ForTheirShareAndBackendsTheirOwnHeaders() throws Exception {
    RouteConfiguration table =
        table(
            new RouteRule(
                "split",
                PathMatch.prefix("/split"),
                List.of(),
                null,
                List.of(),
                List.of(
                    new WeightedBackend(
                        ECHO,
                        50,
                        new HeaderModifier(Map.of("x-backend", "echo"), Map.of(), List.of()),
                        new HeaderModifier(Map.of(), Map.of(), List.of("x-internal"))),
                    WeightedBackend.invalid(50)),
                new HeaderModifier(
                    Map.of("x-backend", "rule", "x-rule", "1"), Map.of(), List.of("x-drop")),
                new HeaderModifier(Map.of("x-internal", "rule"), Map.of(), List.of()),
                null,
                null,
                List.of(),
                null),
            to("invalid", PathMatch.prefix("/invalid"), List.of(WeightedBackend.invalid(1))),
            to("none", PathMatch.prefix("/none"), List.of()));
    Route splitRoute = table.getVirtualHosts(0).getRoutes(0);
    // The rule's header filters moved onto each weighted cluster, before the backend's own.
    assertThat(splitRoute.getRequestHeadersToAddList()).isEmpty();
    assertThat(splitRoute.getRequestHeadersToRemoveList()).isEmpty();
    assertThat(splitRoute.getResponseHeadersToAddList()).isEmpty();
    RouteAction split = splitRoute.getRoute();
    assertThat(split.getClusterNotFoundResponseCode())
        .isEqualTo(RouteAction.ClusterNotFoundResponseCode.INTERNAL_SERVER_ERROR);
    var clusters = split.getWeightedClusters().getClustersList();
    assertThat(clusters)
        .extracting(c -> c.getName(), c -> c.getWeight().getValue())
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple(ECHO.clusterName(), 50),
            org.assertj.core.groups.Tuple.tuple("invalid-backend", 50));
    assertThat(clusters.get(0).getRequestHeadersToAddList())
        .extracting(h -> h.getHeader().getKey(), h -> h.getHeader().getValue())
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple("x-rule", "1"),
            org.assertj.core.groups.Tuple.tuple("x-backend", "echo"));
    assertThat(clusters.get(0).getRequestHeadersToRemoveList()).containsExactly("x-drop");
    assertThat(clusters.get(0).getResponseHeadersToAddList())
        .as("the backend removes what the rule sets: the rule's set is left out")
        .isEmpty();
    assertThat(clusters.get(0).getResponseHeadersToRemoveList()).containsExactly("x-internal");
    assertThat(clusters.get(1).getRequestHeadersToAddList()).hasSize(2);
    for (int i = 1; i <= 2; i++) {
      Route r = table.getVirtualHosts(0).getRoutes(i);
      assertThat(r.hasDirectResponse()).as(r.getName()).isTrue();
      assertThat(r.getDirectResponse().getStatus()).isEqualTo(500);
    }
  }
}
