package dev.ambient.controller.waypoint;

import dev.ambient.api.model.MeshState;
import dev.ambient.api.model.Service;
import dev.ambient.api.model.ServicePort;
import dev.ambient.controller.routes.MeshRouteStatus;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPBackendRef;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPHeader;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPHeaderFilter;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPHeaderMatch;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPRoute;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPRouteFilter;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPRouteMatch;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPRouteRule;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.ParentReference;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * HTTPRoutes with Service parents (GEP-1294) to the route tables of the services' waypoints, a pure
 * function: for each service port a route binds to, the routes' rules, one entry per match, in
 * Gateway API precedence across all routes of that port. A port with routes answers unmatched
 * requests 404 (no fallback to the service itself); a port without routes keeps the default.
 *
 * <p>What the waypoint model cannot express yet is left out rather than approximated in a way that
 * routes more traffic than the user asked: a match with query parameters is dropped (it would
 * otherwise match more requests); a parentRef by {@code sectionName} binds nothing (the mesh model
 * has no port names). Filters other than RequestHeaderModifier are not applied yet.
 */
public final class RouteTables {
  private RouteTables() {}

  private record Candidate(
      RouteRule rule,
      int pathRank,
      int pathLength,
      boolean method,
      int headers,
      String created,
      String route,
      int ruleIndex,
      int matchIndex) {}

  private static final Comparator<Candidate> PRECEDENCE =
      Comparator.comparingInt(Candidate::pathRank)
          .thenComparing(Comparator.comparingInt(Candidate::pathLength).reversed())
          .thenComparing(c -> c.method() ? 0 : 1)
          .thenComparing(Comparator.comparingInt(Candidate::headers).reversed())
          .thenComparing(Candidate::created)
          .thenComparing(Candidate::route)
          .thenComparingInt(Candidate::ruleIndex)
          .thenComparingInt(Candidate::matchIndex);

  /**
   * @param clusterDomain the DNS domain of service hostnames ({@code cluster.local})
   * @return service port to its ordered rules; ports without routes are absent
   */
  public static Map<BackendRef, List<RouteRule>> build(
      List<HTTPRoute> routes, MeshState state, String clusterDomain) {
    Map<BackendRef, List<Candidate>> byPort = new LinkedHashMap<>();
    for (HTTPRoute route : routes) {
      if (route.getSpec() == null || route.getSpec().getParentRefs() == null) {
        continue;
      }
      String ns = route.getMetadata().getNamespace();
      List<Candidate> candidates = candidates(route, state, clusterDomain);
      for (ParentReference parent : route.getSpec().getParentRefs()) {
        if (!MeshRouteStatus.isServiceRef(parent.getGroup(), parent.getKind())
            || parent.getSectionName() != null) {
          continue;
        }
        String pns = parent.getNamespace() == null ? ns : parent.getNamespace();
        Service service = state.serviceByName(hostname(pns, parent.getName(), clusterDomain));
        if (service == null) {
          continue; // NoMatchingParent in the route's status
        }
        for (ServicePort port : service.ports()) {
          if (parent.getPort() != null && parent.getPort() != port.port()) {
            continue;
          }
          byPort
              .computeIfAbsent(
                  new BackendRef(service.resourceName(), port.port()), k -> new ArrayList<>())
              .addAll(candidates);
        }
      }
    }
    Map<BackendRef, List<RouteRule>> tables = new LinkedHashMap<>();
    byPort.forEach(
        (port, list) -> {
          List<Candidate> sorted = new ArrayList<>(list);
          sorted.sort(PRECEDENCE);
          List<RouteRule> rules = new ArrayList<>();
          for (Candidate c : sorted) {
            if (rules.stream().noneMatch(r -> r.name().equals(c.rule().name()))) {
              rules.add(c.rule());
            }
          }
          tables.put(port, List.copyOf(rules));
        });
    return tables;
  }

  static String hostname(String ns, String name, String clusterDomain) {
    return ns + "/" + name + "." + ns + ".svc." + clusterDomain;
  }

  private static List<Candidate> candidates(HTTPRoute route, MeshState state, String domain) {
    String ns = route.getMetadata().getNamespace();
    String routeName = ns + "/" + route.getMetadata().getName();
    String created =
        route.getMetadata().getCreationTimestamp() == null
            ? ""
            : route.getMetadata().getCreationTimestamp();
    List<Candidate> out = new ArrayList<>();
    List<HTTPRouteRule> rules =
        route.getSpec().getRules() == null ? List.of() : route.getSpec().getRules();
    for (int r = 0; r < rules.size(); r++) {
      HTTPRouteRule rule = rules.get(r);
      List<WeightedBackend> backends = backends(rule, ns, domain);
      if (backends.isEmpty()) {
        continue; // no backend (or every weight 0): nothing to send to
      }
      HeaderModifier headers = requestHeaders(rule.getFilters());
      List<HTTPRouteMatch> matches =
          rule.getMatches() == null || rule.getMatches().isEmpty()
              ? List.of(new HTTPRouteMatch())
              : rule.getMatches();
      for (int m = 0; m < matches.size(); m++) {
        HTTPRouteMatch match = matches.get(m);
        if (match.getQueryParams() != null && !match.getQueryParams().isEmpty()) {
          continue;
        }
        PathMatch path = path(match);
        List<HeaderMatch> headerMatches = new ArrayList<>();
        if (match.getHeaders() != null) {
          for (HTTPHeaderMatch h : match.getHeaders()) {
            headerMatches.add(
                new HeaderMatch(
                    h.getName(), h.getValue(), "RegularExpression".equals(h.getType())));
          }
        }
        String name = ns + "." + route.getMetadata().getName() + "." + r + "." + m;
        RouteRule routeRule =
            new RouteRule(name, path, headerMatches, match.getMethod(), backends, headers);
        out.add(
            new Candidate(
                routeRule,
                path.kind() == PathMatch.Kind.EXACT ? 0 : 1,
                path.value().length(),
                match.getMethod() != null,
                headerMatches.size(),
                created,
                routeName,
                r,
                m));
      }
    }
    return out;
  }

  private static PathMatch path(HTTPRouteMatch match) {
    if (match.getPath() == null) {
      return PathMatch.any();
    }
    String value = match.getPath().getValue() == null ? "/" : match.getPath().getValue();
    String type = match.getPath().getType() == null ? "PathPrefix" : match.getPath().getType();
    return switch (type) {
      case "Exact" -> PathMatch.exact(value);
      case "RegularExpression" -> PathMatch.regex(value);
      default -> PathMatch.prefix(value);
    };
  }

  private static List<WeightedBackend> backends(HTTPRouteRule rule, String ns, String domain) {
    List<WeightedBackend> out = new ArrayList<>();
    List<HTTPBackendRef> refs = rule.getBackendRefs() == null ? List.of() : rule.getBackendRefs();
    for (HTTPBackendRef ref : refs) {
      String kind = ref.getKind() == null ? "Service" : ref.getKind();
      if (!MeshRouteStatus.isServiceRef(ref.getGroup(), kind) || ref.getPort() == null) {
        continue; // ResolvedRefs=False/InvalidKind in the route's status
      }
      int weight = ref.getWeight() == null ? 1 : ref.getWeight();
      if (weight == 0) {
        continue;
      }
      String bns = ref.getNamespace() == null ? ns : ref.getNamespace();
      out.add(
          new WeightedBackend(
              new BackendRef(hostname(bns, ref.getName(), domain), ref.getPort()), weight));
    }
    return out;
  }

  private static HeaderModifier requestHeaders(List<HTTPRouteFilter> filters) {
    if (filters == null) {
      return HeaderModifier.NONE;
    }
    Map<String, String> set = new LinkedHashMap<>();
    Map<String, String> add = new LinkedHashMap<>();
    List<String> remove = new ArrayList<>();
    for (HTTPRouteFilter f : filters) {
      if (!"RequestHeaderModifier".equals(f.getType()) || f.getRequestHeaderModifier() == null) {
        continue;
      }
      HTTPHeaderFilter h = f.getRequestHeaderModifier();
      if (h.getSet() != null) {
        for (HTTPHeader header : h.getSet()) {
          set.put(header.getName(), header.getValue());
        }
      }
      if (h.getAdd() != null) {
        for (HTTPHeader header : h.getAdd()) {
          add.put(header.getName(), header.getValue());
        }
      }
      if (h.getRemove() != null) {
        remove.addAll(h.getRemove());
      }
    }
    return set.isEmpty() && add.isEmpty() && remove.isEmpty()
        ? HeaderModifier.NONE
        : new HeaderModifier(set, add, remove);
  }
}
