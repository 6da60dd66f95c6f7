package dev.ambient.controller.waypoint;

import dev.ambient.api.model.MeshState;
import dev.ambient.api.model.Service;
import dev.ambient.api.model.ServicePort;
import dev.ambient.controller.routes.MeshRouteStatus;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.GRPCRoute;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.GRPCRouteRule;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPBackendRef;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPHeaderMatch;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPQueryParamMatch;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPRoute;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPRouteMatch;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPRouteRule;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPRouteTimeouts;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.ParentReference;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

/**
 * HTTPRoutes with Service parents (GEP-1294) to the route tables of the services' waypoints, a pure
 * function: for each service port a route binds to (all ports, the parentRef's {@code port}, or the
 * port named by its {@code sectionName}), the routes' rules, one entry per match, in Gateway API
 * precedence across all routes of that port. A port with routes answers unmatched requests 404 (no
 * fallback to the service itself); a port without routes keeps the default.
 *
 * <p>Producer and consumer routes (GEP-1294): a route in its parent Service's namespace is the
 * service owner's (producer) route and applies to every client; a route in another namespace is a
 * consumer route and applies only to clients in that namespace, who then use only their namespace's
 * consumer routes (merged by the same precedence) and never the producer's. A table lists each
 * consumer namespace's rules first, then the producer rules; a port with consumer routes but no
 * producer route keeps routing everyone else to the service itself.
 *
 * <p>What cannot be applied as written is reported as a {@link RouteProblem} and never
 * half-applied: a rule whose filters, matches or timeouts are invalid (or combine as Gateway API
 * forbids, or a regex that is not RE2) is left out whole; a rule with a filter the waypoint does
 * not implement answers 500 (skipping the filter could let through what it would have stopped); a
 * backendRef that does not resolve keeps its weight and its share of the requests gets 500; a
 * mirror that does not resolve is left out (the request itself is unaffected).
 *
 * <p>GRPCRoutes (GEP-1016) bind the same way and become the same rules ({@link GrpcRouteRules}: a
 * method match is a path match), ordered by GRPCRoute precedence (longest service, then method,
 * then most header matches). Where a GRPCRoute and an HTTPRoute apply to the same clients of a port
 * (the producer's routes, or one consumer namespace's), the GRPCRoute wins (GEP-1294's order of
 * route kinds) and the HTTPRoute is left out there: a {@link Conflict}.
 */
public final class RouteTables {
  private RouteTables() {}

  /**
   * The tables, and everything of the routes that was left out or answers 500, and why, and the
   * HTTPRoutes' parentRefs overridden by GRPCRoutes.
   */
  public record Result(
      Map<BackendRef, List<RouteRule>> tables,
      List<RouteProblem> problems,
      List<Conflict> conflicts) {
    public Result {
      tables = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(tables));
      problems = List.copyOf(problems);
      conflicts = List.copyOf(conflicts);
    }

    public Result(Map<BackendRef, List<RouteRule>> tables, List<RouteProblem> problems) {
      this(tables, problems, List.of());
    }

    /**
     * Whether HTTPRoute {@code route} ({@code namespace/name}) lost, to GRPCRoutes, every service
     * port its parentRef at {@code parentIndex} binds (its status says Conflicted there).
     */
    public boolean conflicted(String route, int parentIndex) {
      return conflicts.stream()
          .anyMatch(c -> c.route().equals(route) && c.parentIndex() == parentIndex && c.whole());
    }
  }

  /**
   * An HTTPRoute's parentRef whose service ports (all of them when {@code whole}) carry a GRPCRoute
   * for the same clients, which wins: the HTTPRoute is left out there.
   *
   * @param route {@code namespace/name}
   * @param parentIndex the index in {@code spec.parentRefs}
   * @param ports the service ports where the GRPCRoute wins
   */
  public record Conflict(String route, int parentIndex, List<BackendRef> ports, boolean whole) {
    public Conflict {
      ports = List.copyOf(ports);
    }
  }

  /** Where a route comes from: for rule names, problems and the order of equal rules. */
  private record Source(String kind, String namespace, String name, String created) {
    static Source of(String kind, ObjectMeta meta) {
      return new Source(
          kind,
          meta.getNamespace(),
          meta.getName(),
          meta.getCreationTimestamp() == null ? "" : meta.getCreationTimestamp());
    }

    String display() {
      return namespace + "/" + name;
    }

    boolean grpc() {
      return kind.equals(RouteProblem.GRPC_ROUTE);
    }

    /** The Envoy route name of a rule's match; GRPCRoutes' apart from HTTPRoutes' of a name. */
    String ruleName(int rule, int match) {
      return (grpc() ? "grpc:" : "") + namespace + "." + name + "." + rule + "." + match;
    }

    RouteProblem problem(String field, String reason) {
      return new RouteProblem(display(), field, reason, kind);
    }
  }

  private record Candidate(
      RouteRule rule,
      boolean grpc,
      int grpcService,
      int grpcMethod,
      int pathRank,
      int pathLength,
      boolean method,
      int headers,
      int queryParams,
      String created,
      String route,
      int ruleIndex,
      int matchIndex,
      String consumer) {

    /** This candidate as a consumer rule of {@code namespace}'s clients. */
    Candidate consumedBy(String namespace) {
      return new Candidate(
          rule.forClientsOf(namespace),
          grpc,
          grpcService,
          grpcMethod,
          pathRank,
          pathLength,
          method,
          headers,
          queryParams,
          created,
          route,
          ruleIndex,
          matchIndex,
          namespace);
    }
  }

  /** Consumer namespaces' rules first (by namespace), the producer's last. */
  private static final Comparator<Candidate> GROUP =
      Comparator.comparing(
          Candidate::consumer, Comparator.nullsLast(Comparator.<String>naturalOrder()));

  private static final Comparator<Candidate> HTTP_PRECEDENCE =
      Comparator.comparingInt(Candidate::pathRank)
          .thenComparing(Comparator.comparingInt(Candidate::pathLength).reversed())
          .thenComparing(c -> c.method() ? 0 : 1)
          .thenComparing(Comparator.comparingInt(Candidate::headers).reversed())
          .thenComparing(Comparator.comparingInt(Candidate::queryParams).reversed());

  /** GRPCRoute precedence (hostnames do not apply to mesh routes). */
  private static final Comparator<Candidate> GRPC_PRECEDENCE =
      Comparator.comparingInt(Candidate::grpcService)
          .reversed()
          .thenComparing(Comparator.comparingInt(Candidate::grpcMethod).reversed())
          .thenComparing(Comparator.comparingInt(Candidate::headers).reversed());

  /** GRPCRoutes' rules before HTTPRoutes' (only one kind remains per group anyway). */
  private static final Comparator<Candidate> PRECEDENCE =
      Comparator.comparing((Candidate c) -> c.grpc() ? 0 : 1)
          .thenComparing(
              (a, b) -> a.grpc() ? GRPC_PRECEDENCE.compare(a, b) : HTTP_PRECEDENCE.compare(a, b))
          .thenComparing(Candidate::created)
          .thenComparing(Candidate::route)
          .thenComparingInt(Candidate::ruleIndex)
          .thenComparingInt(Candidate::matchIndex);

  /**
   * The tables only ({@link #translate} also says what was left out).
   *
   * @param clusterDomain the DNS domain of service hostnames ({@code cluster.local})
   * @return service port to its ordered rules; ports without routes are absent
   */
  public static Map<BackendRef, List<RouteRule>> build(
      List<HTTPRoute> routes, MeshState state, String clusterDomain) {
    return translate(routes, state, clusterDomain).tables();
  }

  /**
   * @param clusterDomain the DNS domain of service hostnames ({@code cluster.local})
   */
  public static Result translate(List<HTTPRoute> routes, MeshState state, String clusterDomain) {
    return translate(routes, List.of(), state, clusterDomain);
  }

  /**
   * HTTPRoutes and GRPCRoutes together (a GRPCRoute wins a port over an HTTPRoute).
   *
   * @param clusterDomain the DNS domain of service hostnames ({@code cluster.local})
   */
  public static Result translate(
      List<HTTPRoute> routes, List<GRPCRoute> grpcRoutes, MeshState state, String clusterDomain) {
    BackendResolver resolver = new BackendResolver(state, clusterDomain);
    Binder binder = new Binder(state, clusterDomain);
    for (GRPCRoute route : grpcRoutes) {
      if (route.getSpec() == null || route.getSpec().getParentRefs() == null) {
        continue;
      }
      Source source = Source.of(RouteProblem.GRPC_ROUTE, route.getMetadata());
      binder.bind(
          source,
          route.getSpec().getParentRefs(),
          () -> grpcCandidates(source, route, resolver, binder.problems));
    }
    for (HTTPRoute route : routes) {
      if (route.getSpec() == null || route.getSpec().getParentRefs() == null) {
        continue;
      }
      Source source = Source.of(RouteProblem.HTTP_ROUTE, route.getMetadata());
      binder.bind(
          source,
          route.getSpec().getParentRefs(),
          () -> candidates(source, route, resolver, binder.problems));
    }
    Map<BackendRef, List<RouteRule>> tables = new LinkedHashMap<>();
    binder.byPort.forEach(
        (port, list) -> {
          // GEP-1294: where a GRPCRoute applies to the same clients, HTTPRoutes do not.
          Set<String> grpcGroups = new HashSet<>();
          list.stream().filter(Candidate::grpc).forEach(c -> grpcGroups.add(group(c.consumer())));
          List<Candidate> sorted = new ArrayList<>();
          for (Candidate c : list) {
            if (c.grpc() || !grpcGroups.contains(group(c.consumer()))) {
              sorted.add(c);
            }
          }
          sorted.sort(GROUP.thenComparing(PRECEDENCE));
          List<RouteRule> rules = new ArrayList<>();
          for (Candidate c : sorted) {
            if (rules.stream().noneMatch(r -> r.name().equals(c.rule().name()))) {
              rules.add(c.rule());
            }
          }
          if (!binder.producerBound.contains(port)) {
            // Only consumer routes: everyone else still reaches the service as without routes.
            rules.add(RouteRule.toSelf(port));
          }
          tables.put(port, List.copyOf(rules));
        });
    return new Result(tables, binder.problems, binder.conflicts());
  }

  private static String group(String consumer) {
    return consumer == null ? "" : consumer;
  }

  /** Routes to the service ports their parentRefs bind, remembering who bound where. */
  private static final class Binder {
    private final MeshState state;
    private final String clusterDomain;
    final List<RouteProblem> problems = new ArrayList<>();
    final Map<BackendRef, List<Candidate>> byPort = new LinkedHashMap<>();
    final Set<BackendRef> producerBound = new HashSet<>();
    // Per port, the client groups ("" for the producer's) a GRPCRoute binds for.
    private final Map<BackendRef, Set<String>> grpcGroups = new HashMap<>();
    private final List<HttpBinding> httpBindings = new ArrayList<>();

    private record HttpBinding(String route, int parentIndex, BackendRef port, String group) {}

    Binder(MeshState state, String clusterDomain) {
      this.state = state;
      this.clusterDomain = clusterDomain;
    }

    void bind(Source source, List<ParentReference> parents, Supplier<List<Candidate>> translate) {
      String ns = source.namespace();
      List<Candidate> candidates = null;
      for (int p = 0; p < parents.size(); p++) {
        ParentReference parent = parents.get(p);
        if (!MeshRouteStatus.isServiceRef(parent.getGroup(), parent.getKind())) {
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
          if (parent.getSectionName() != null && !parent.getSectionName().equals(port.name())) {
            continue;
          }
          if (candidates == null) {
            // Only routes that bind somewhere are translated (and report problems).
            candidates = translate.get();
          }
          BackendRef key = new BackendRef(service.resourceName(), port.port());
          List<Candidate> bound = byPort.computeIfAbsent(key, k -> new ArrayList<>());
          boolean producer = ns.equals(service.namespace());
          String group = producer ? "" : ns;
          if (source.grpc()) {
            grpcGroups.computeIfAbsent(key, k -> new HashSet<>()).add(group);
          } else {
            httpBindings.add(new HttpBinding(source.display(), p, key, group));
          }
          if (producer) {
            producerBound.add(key);
            bound.addAll(candidates);
          } else {
            candidates.forEach(c -> bound.add(c.consumedBy(ns)));
          }
        }
      }
    }

    /** The HTTPRoutes' parentRefs that lost ports to GRPCRoutes. */
    List<Conflict> conflicts() {
      Map<String, List<HttpBinding>> byParent = new LinkedHashMap<>();
      for (HttpBinding b : httpBindings) {
        byParent.computeIfAbsent(b.route() + "#" + b.parentIndex(), k -> new ArrayList<>()).add(b);
      }
      List<Conflict> out = new ArrayList<>();
      for (List<HttpBinding> bindings : byParent.values()) {
        List<BackendRef> lost = new ArrayList<>();
        for (HttpBinding b : bindings) {
          if (grpcGroups.getOrDefault(b.port(), Set.of()).contains(b.group())
              && !lost.contains(b.port())) {
            lost.add(b.port());
          }
        }
        if (!lost.isEmpty()) {
          HttpBinding first = bindings.get(0);
          boolean whole = bindings.stream().allMatch(b -> lost.contains(b.port()));
          out.add(new Conflict(first.route(), first.parentIndex(), lost, whole));
        }
      }
      return out;
    }
  }

  static String hostname(String ns, String name, String clusterDomain) {
    return ns + "/" + name + "." + ns + ".svc." + clusterDomain;
  }

  private static List<Candidate> candidates(
      Source source, HTTPRoute route, BackendResolver resolver, List<RouteProblem> problems) {
    List<Candidate> out = new ArrayList<>();
    List<HTTPRouteRule> rules =
        route.getSpec().getRules() == null ? List.of() : route.getSpec().getRules();
    for (int r = 0; r < rules.size(); r++) {
      String field = "spec.rules[" + r + "]";
      List<RouteRule> translated =
          ruleOrNothing(source, rules.get(r), r, field, resolver, problems);
      for (int m = 0; m < translated.size(); m++) {
        RouteRule rule = translated.get(m);
        out.add(
            new Candidate(
                rule,
                false,
                0,
                0,
                rule.path().kind() == PathMatch.Kind.EXACT ? 0 : 1,
                rule.path().value().length(),
                rule.method() != null,
                rule.headers().size(),
                rule.queryParams().size(),
                source.created(),
                source.display(),
                r,
                m,
                null));
      }
    }
    return out;
  }

  private static List<Candidate> grpcCandidates(
      Source source, GRPCRoute route, BackendResolver resolver, List<RouteProblem> problems) {
    List<Candidate> out = new ArrayList<>();
    List<GRPCRouteRule> rules =
        route.getSpec().getRules() == null ? List.of() : route.getSpec().getRules();
    for (int r = 0; r < rules.size(); r++) {
      String field = "spec.rules[" + r + "]";
      HTTPRouteRule http;
      try {
        http = GrpcRouteRules.toHttp(rules.get(r), field);
      } catch (InvalidField e) {
        problems.add(source.problem(e.field(), "rule left out: " + e.reason()));
        continue;
      }
      List<RouteRule> translated = ruleOrNothing(source, http, r, field, resolver, problems);
      List<GrpcRouteRules.Specificity> keys = GrpcRouteRules.specificity(rules.get(r));
      for (int m = 0; m < translated.size(); m++) {
        RouteRule rule = translated.get(m);
        GrpcRouteRules.Specificity k = keys.get(m);
        out.add(
            new Candidate(
                rule,
                true,
                k.service(),
                k.method(),
                0,
                0,
                false,
                k.headers(),
                0,
                source.created(),
                source.display(),
                r,
                m,
                null));
      }
    }
    return out;
  }

  /** The rule's RouteRules, or none (and why, in {@code problems}). */
  private static List<RouteRule> ruleOrNothing(
      Source source,
      HTTPRouteRule rule,
      int index,
      String field,
      BackendResolver resolver,
      List<RouteProblem> problems) {
    try {
      return rule(source, rule, index, field, resolver, problems);
    } catch (InvalidField e) {
      problems.add(source.problem(e.field(), "rule left out: " + e.reason()));
    } catch (IllegalArgumentException e) {
      // A model invariant the checks above missed: still only this rule is left out.
      problems.add(source.problem(field, "rule left out: " + e.getMessage()));
    }
    return List.of();
  }

  /** One rule to one RouteRule per match, or throws: the rule is left out whole. */
  private static List<RouteRule> rule(
      Source source,
      HTTPRouteRule rule,
      int index,
      String field,
      BackendResolver resolver,
      List<RouteProblem> problems)
      throws InvalidField {
    String ns = source.namespace();
    RouteTimeouts timeouts = timeouts(rule.getTimeouts(), field + ".timeouts");
    RouteFilters filters =
        RouteFilters.parse(rule.getFilters(), field + ".filters", false, resolver, ns);
    List<HTTPBackendRef> refs = rule.getBackendRefs() == null ? List.of() : rule.getBackendRefs();
    if (filters.redirect != null && !refs.isEmpty()) {
      throw new InvalidField(
          filters.redirectField, "RequestRedirect cannot be used together with backendRefs");
    }
    List<HTTPRouteMatch> matches =
        rule.getMatches() == null || rule.getMatches().isEmpty()
            ? List.of(new HTTPRouteMatch())
            : rule.getMatches();
    List<PathMatch> paths = new ArrayList<>();
    List<List<HeaderMatch>> headers = new ArrayList<>();
    List<List<QueryMatch>> queries = new ArrayList<>();
    List<Redirect> redirects = new ArrayList<>();
    List<UrlRewrite> rewrites = new ArrayList<>();
    for (int m = 0; m < matches.size(); m++) {
      String at = field + ".matches[" + m + "]";
      PathMatch path = path(matches.get(m), at + ".path");
      paths.add(path);
      headers.add(headerMatches(matches.get(m), at + ".headers"));
      queries.add(queryMatches(matches.get(m), at + ".queryParams"));
      redirects.add(filters.redirect == null ? null : filters.redirectFor(path));
      rewrites.add(filters.rewriteFor(path));
    }
    // Problems are reported only once nothing can throw any more: a rule left out whole reports
    // only why.
    List<RouteProblem> found = new ArrayList<>();
    List<WeightedBackend> backends;
    boolean failClosed = filters.unsupported != null;
    if (failClosed) {
      found.add(
          source.problem(
              filters.unsupported.field(), "rule answers 500: " + filters.unsupported.reason()));
      backends = List.of();
    } else {
      backends = backends(refs, field + ".backendRefs", ns, resolver, source, found);
      for (InvalidField e : filters.droppedMirrors) {
        found.add(source.problem(e.field(), "mirror left out: " + e.reason()));
      }
    }
    problems.addAll(found);
    List<RouteRule> out = new ArrayList<>();
    for (int m = 0; m < matches.size(); m++) {
      HTTPRouteMatch match = matches.get(m);
      String name = source.ruleName(index, m);
      out.add(
          failClosed
              ? new RouteRule(
                  name,
                  paths.get(m),
                  headers.get(m),
                  match.getMethod(),
                  queries.get(m),
                  List.of(),
                  null,
                  null,
                  null,
                  null,
                  List.of(),
                  RouteTimeouts.NONE)
              : new RouteRule(
                  name,
                  paths.get(m),
                  headers.get(m),
                  match.getMethod(),
                  queries.get(m),
                  backends,
                  filters.requestHeaders,
                  filters.responseHeaders,
                  redirects.get(m),
                  rewrites.get(m),
                  filters.mirrors,
                  timeouts));
    }
    return out;
  }

  private static RouteTimeouts timeouts(HTTPRouteTimeouts t, String field) throws InvalidField {
    if (t == null) {
      return RouteTimeouts.NONE;
    }
    Duration request = duration(t.getRequest(), field + ".request");
    Duration backend = duration(t.getBackendRequest(), field + ".backendRequest");
    if (request != null && !request.isZero() && backend != null && backend.compareTo(request) > 0) {
      throw new InvalidField(
          field + ".backendRequest",
          "must not exceed timeouts.request (" + t.getRequest() + "): " + t.getBackendRequest());
    }
    return new RouteTimeouts(request, backend);
  }

  private static Duration duration(String text, String field) throws InvalidField {
    if (text == null) {
      return null;
    }
    try {
      return GatewayDuration.parse(text);
    } catch (IllegalArgumentException e) {
      throw new InvalidField(field, e.getMessage());
    }
  }

  private static PathMatch path(HTTPRouteMatch match, String field) throws InvalidField {
    if (match.getPath() == null) {
      return PathMatch.any();
    }
    String value = match.getPath().getValue() == null ? "/" : match.getPath().getValue();
    String type = match.getPath().getType() == null ? "PathPrefix" : match.getPath().getType();
    if (type.equals("RegularExpression")) {
      checkRegex(value, field + ".value");
    }
    try {
      return switch (type) {
        case "Exact" -> PathMatch.exact(value);
        case "PathPrefix" -> PathMatch.prefix(value);
        case "RegularExpression" -> PathMatch.regex(value);
        default ->
            throw new InvalidField(
                field + ".type", "must be Exact, PathPrefix or RegularExpression: " + type);
      };
    } catch (IllegalArgumentException e) {
      throw new InvalidField(field + ".value", e.getMessage());
    }
  }

  private static List<HeaderMatch> headerMatches(HTTPRouteMatch match, String field)
      throws InvalidField {
    List<HeaderMatch> out = new ArrayList<>();
    List<HTTPHeaderMatch> list = match.getHeaders() == null ? List.of() : match.getHeaders();
    for (int i = 0; i < list.size(); i++) {
      HTTPHeaderMatch h = list.get(i);
      boolean regex = regex(h.getType(), field + "[" + i + "].type");
      if (h.getName() == null || h.getName().isEmpty() || h.getValue() == null) {
        throw new InvalidField(field + "[" + i + "]", "name and value are required");
      }
      if (regex) {
        checkRegex(h.getValue(), field + "[" + i + "].value");
      }
      out.add(new HeaderMatch(h.getName(), h.getValue(), regex));
    }
    return out;
  }

  private static List<QueryMatch> queryMatches(HTTPRouteMatch match, String field)
      throws InvalidField {
    List<QueryMatch> out = new ArrayList<>();
    List<HTTPQueryParamMatch> list =
        match.getQueryParams() == null ? List.of() : match.getQueryParams();
    for (int i = 0; i < list.size(); i++) {
      HTTPQueryParamMatch q = list.get(i);
      boolean regex = regex(q.getType(), field + "[" + i + "].type");
      if (q.getName() == null || q.getName().isEmpty() || q.getValue() == null) {
        throw new InvalidField(field + "[" + i + "]", "name and value are required");
      }
      String name = q.getName();
      if (out.stream().anyMatch(o -> o.name().equals(name))) {
        throw new InvalidField(field + "[" + i + "].name", "parameter " + name + " appears twice");
      }
      if (regex) {
        checkRegex(q.getValue(), field + "[" + i + "].value");
      }
      out.add(new QueryMatch(name, q.getValue(), regex));
    }
    return out;
  }

  private static void checkRegex(String regex, String field) throws InvalidField {
    String problem = Re2Syntax.problem(regex);
    if (problem != null) {
      throw new InvalidField(field, problem);
    }
  }

  private static boolean regex(String type, String field) throws InvalidField {
    if (type == null || type.equals("Exact")) {
      return false;
    }
    if (type.equals("RegularExpression")) {
      return true;
    }
    throw new InvalidField(field, "must be Exact or RegularExpression: " + type);
  }

  /**
   * The weighted backends; a backendRef that does not resolve stays, as an invalid backend with its
   * weight (its share gets 500). Weight 0 gets nothing and is left out.
   */
  private static List<WeightedBackend> backends(
      List<HTTPBackendRef> refs,
      String field,
      String ns,
      BackendResolver resolver,
      Source source,
      List<RouteProblem> problems)
      throws InvalidField {
    List<WeightedBackend> out = new ArrayList<>();
    for (int i = 0; i < refs.size(); i++) {
      HTTPBackendRef ref = refs.get(i);
      String at = field + "[" + i + "]";
      int weight = ref.getWeight() == null ? 1 : ref.getWeight();
      if (weight < 0 || weight > 1_000_000) {
        throw new InvalidField(at + ".weight", "must be between 0 and 1000000: " + weight);
      }
      if (weight == 0) {
        continue;
      }
      try {
        BackendRef target =
            resolver.resolve(
                at,
                ref.getGroup(),
                ref.getKind(),
                ref.getName(),
                ref.getNamespace(),
                ref.getPort(),
                ns);
        RouteFilters filters =
            RouteFilters.parse(ref.getFilters(), at + ".filters", true, resolver, ns);
        if (filters.unsupported != null) {
          throw filters.unsupported;
        }
        out.add(
            new WeightedBackend(target, weight, filters.requestHeaders, filters.responseHeaders));
      } catch (InvalidField e) {
        problems.add(source.problem(e.field(), "backend answers 500: " + e.reason()));
        out.add(WeightedBackend.invalid(weight));
      }
    }
    return out;
  }
}
