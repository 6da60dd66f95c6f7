package dev.ambient.controller.waypoint;

import java.util.List;
import java.util.Objects;

/**
 * One route of a service's table, in the order Envoy tries them (the caller sorts by Gateway API
 * precedence): all matches must hold; the request is then either redirected ({@code redirect}) or
 * goes to one of the weighted backends with the filters applied. A rule without a backend that gets
 * traffic (none, or all weights 0) answers 500.
 *
 * @param method an HTTP method, or {@code null} for any
 * @param redirect a redirect answer, or {@code null}; never together with backends, a rewrite or
 *     mirrors (Gateway API forbids the combinations)
 * @param rewrite a URL rewrite towards the backends, or {@code null}
 * @param sourceNamespace for a consumer route (GEP-1294: the route's namespace differs from its
 *     parent Service's), the namespace whose clients it applies to; {@code null} for any client.
 *     The clients of a namespace with consumer rules on a port use only those: Envoy answers their
 *     unmatched requests 404 after the namespace's rules, before the producer rules.
 */
public record RouteRule(
    String name,
    PathMatch path,
    List<HeaderMatch> headers,
    String method,
    List<QueryMatch> queryParams,
    List<WeightedBackend> backends,
    HeaderModifier requestHeaders,
    HeaderModifier responseHeaders,
    Redirect redirect,
    UrlRewrite rewrite,
    List<Mirror> mirrors,
    RouteTimeouts timeouts,
    String sourceNamespace) {
  public RouteRule {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(path, "path");
    headers = List.copyOf(headers);
    queryParams = queryParams == null ? List.of() : List.copyOf(queryParams);
    backends = List.copyOf(backends);
    requestHeaders = requestHeaders == null ? HeaderModifier.NONE : requestHeaders;
    responseHeaders = responseHeaders == null ? HeaderModifier.NONE : responseHeaders;
    mirrors = mirrors == null ? List.of() : List.copyOf(mirrors);
    timeouts = timeouts == null ? RouteTimeouts.NONE : timeouts;
    if (redirect != null && (!backends.isEmpty() || rewrite != null || !mirrors.isEmpty())) {
      throw new IllegalArgumentException(
          "route " + name + ": a redirect cannot have backends, a URL rewrite or mirrors");
    }
  }

  /** A rule for any client. */
  public RouteRule(
      String name,
      PathMatch path,
      List<HeaderMatch> headers,
      String method,
      List<QueryMatch> queryParams,
      List<WeightedBackend> backends,
      HeaderModifier requestHeaders,
      HeaderModifier responseHeaders,
      Redirect redirect,
      UrlRewrite rewrite,
      List<Mirror> mirrors,
      RouteTimeouts timeouts) {
    this(
        name,
        path,
        headers,
        method,
        queryParams,
        backends,
        requestHeaders,
        responseHeaders,
        redirect,
        rewrite,
        mirrors,
        timeouts,
        null);
  }

  /** This rule, for the clients of one namespace only (a consumer route's rule). */
  public RouteRule forClientsOf(String namespace) {
    return new RouteRule(
        name,
        path,
        headers,
        method,
        queryParams,
        backends,
        requestHeaders,
        responseHeaders,
        redirect,
        rewrite,
        mirrors,
        timeouts,
        Objects.requireNonNull(namespace, "namespace"));
  }

  /** Matches, backends and a request header modifier; no other filter. */
  public RouteRule(
      String name,
      PathMatch path,
      List<HeaderMatch> headers,
      String method,
      List<WeightedBackend> backends,
      HeaderModifier requestHeaders) {
    this(
        name,
        path,
        headers,
        method,
        List.of(),
        backends,
        requestHeaders,
        HeaderModifier.NONE,
        null,
        null,
        List.of(),
        RouteTimeouts.NONE);
  }

  /** The "no route" default of a waypoint: everything to the service itself. */
  public static RouteRule toSelf(BackendRef self) {
    return new RouteRule(
        "default",
        PathMatch.any(),
        List.of(),
        null,
        List.of(new WeightedBackend(self, 1)),
        HeaderModifier.NONE);
  }

  /** Whether some backend gets traffic (else the rule answers 500, unless it redirects). */
  public boolean hasTraffic() {
    return backends.stream().anyMatch(b -> b.weight() > 0);
  }

  /** The service ports this rule sends to or mirrors to (they need Envoy clusters). */
  public List<BackendRef> referencedBackends() {
    List<BackendRef> out = new java.util.ArrayList<>();
    for (WeightedBackend b : backends) {
      if (b.isValid()) {
        out.add(b.ref());
      }
    }
    for (Mirror m : mirrors) {
      out.add(m.ref());
    }
    return out;
  }
}
