package dev.ambient.controller.routes;

import dev.ambient.controller.status.Conditions;
import dev.ambient.controller.waypoint.RouteProblem;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.GRPCBackendRef;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.GRPCRoute;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.GRPCRouteRule;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPBackendRef;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPRoute;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPRouteRule;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.ParentReference;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.ParentReferenceBuilder;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.RouteParentStatus;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.RouteParentStatusBuilder;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.function.Function;
import java.util.function.IntPredicate;

/**
 * The status an HTTPRoute's or GRPCRoute's Service parents should have (GEP-1294, mesh routes): one
 * entry per distinct Service parentRef, with our controllerName, Accepted and ResolvedRefs
 * conditions and the route's generation. Entries of other controllers (a Gateway's, say) are kept
 * as they are. Pure: the caller supplies the Services and the time.
 */
public final class MeshRouteStatus {
  public static final String CONTROLLER_NAME = "dev.ambient/mesh-controller";

  private MeshRouteStatus() {}

  /** Is this parentRef a Service (the mesh's kind of parent)? */
  public static boolean isServiceRef(String group, String kind) {
    return "Service".equals(kind) && (group == null || group.isEmpty() || "core".equals(group));
  }

  /**
   * @param services looks up a Service by "namespace/name", null when absent
   * @return the route's complete {@code status.parents}
   */
  public static List<RouteParentStatus> parents(
      HTTPRoute route, Function<String, Service> services, Instant now) {
    return parents(route, services, List.of(), now);
  }

  /**
   * @param problems what the waypoints' translation of this route left out or answers with 500
   *     instead ({@link dev.ambient.controller.waypoint.RouteTables}); all but unresolved backends
   *     (already in ResolvedRefs) make a {@code PartiallyInvalid} condition, its message starting
   *     "Dropped Rule" as Gateway API asks
   * @return the route's complete {@code status.parents}
   */
  public static List<RouteParentStatus> parents(
      HTTPRoute route,
      Function<String, Service> services,
      List<RouteProblem> problems,
      Instant now) {
    return parents(route, services, problems, parent -> false, now);
  }

  /**
   * @param conflicted whether the parentRef at this index of {@code spec.parentRefs} lost all its
   *     ports to GRPCRoutes (GEP-1294): Accepted=False, reason Conflicted
   * @return the route's complete {@code status.parents}
   */
  public static List<RouteParentStatus> parents(
      HTTPRoute route,
      Function<String, Service> services,
      List<RouteProblem> problems,
      IntPredicate conflicted,
      Instant now) {
    List<List<Ref>> backends = new ArrayList<>();
    List<HTTPRouteRule> rules =
        route.getSpec() == null || route.getSpec().getRules() == null
            ? List.of()
            : route.getSpec().getRules();
    for (HTTPRouteRule rule : rules) {
      List<Ref> refs = new ArrayList<>();
      for (HTTPBackendRef b :
          rule.getBackendRefs() == null ? List.<HTTPBackendRef>of() : rule.getBackendRefs()) {
        refs.add(new Ref(b.getGroup(), b.getKind(), b.getName(), b.getNamespace()));
      }
      backends.add(refs);
    }
    return parents(
        route.getMetadata(),
        route.getSpec() == null ? null : route.getSpec().getParentRefs(),
        route.getStatus() == null ? null : route.getStatus().getParents(),
        backends,
        services,
        problems,
        conflicted,
        now);
  }

  /**
   * A GRPCRoute's parents, judged as an HTTPRoute's (a GRPCRoute is never Conflicted: it wins).
   *
   * @return the route's complete {@code status.parents}
   */
  public static List<RouteParentStatus> parents(
      GRPCRoute route,
      Function<String, Service> services,
      List<RouteProblem> problems,
      Instant now) {
    List<List<Ref>> backends = new ArrayList<>();
    List<GRPCRouteRule> rules =
        route.getSpec() == null || route.getSpec().getRules() == null
            ? List.of()
            : route.getSpec().getRules();
    for (GRPCRouteRule rule : rules) {
      List<Ref> refs = new ArrayList<>();
      for (GRPCBackendRef b :
          rule.getBackendRefs() == null ? List.<GRPCBackendRef>of() : rule.getBackendRefs()) {
        refs.add(new Ref(b.getGroup(), b.getKind(), b.getName(), b.getNamespace()));
      }
      backends.add(refs);
    }
    return parents(
        route.getMetadata(),
        route.getSpec() == null ? null : route.getSpec().getParentRefs(),
        route.getStatus() == null ? null : route.getStatus().getParents(),
        backends,
        services,
        problems,
        parent -> false,
        now);
  }

  /** A backendRef, of either route kind, as far as ResolvedRefs looks at it. */
  private record Ref(String group, String kind, String name, String namespace) {}

  private static List<RouteParentStatus> parents(
      ObjectMeta meta,
      List<ParentReference> parentRefs,
      List<RouteParentStatus> status,
      List<List<Ref>> backends,
      Function<String, Service> services,
      List<RouteProblem> problems,
      IntPredicate conflicted,
      Instant now) {
    String ns = meta.getNamespace();
    Long generation = meta.getGeneration();
    List<RouteParentStatus> existing = status == null ? List.of() : status;
    List<RouteParentStatus> out = new ArrayList<>();
    for (RouteParentStatus p : existing) {
      if (!CONTROLLER_NAME.equals(p.getControllerName())) {
        out.add(p);
      }
    }
    Condition resolved = resolvedRefs(ns, backends, services, generation);
    Condition partial = partiallyInvalid(problems, generation);
    Set<ParentReference> seen = new LinkedHashSet<>();
    List<ParentReference> refs = parentRefs == null ? List.of() : parentRefs;
    for (int i = 0; i < refs.size(); i++) {
      ParentReference ref = refs.get(i);
      if (!isServiceRef(ref.getGroup(), ref.getKind()) || !seen.add(echo(ref))) {
        continue;
      }
      Condition accepted = accepted(ref, ns, services, generation);
      if ("True".equals(accepted.getStatus()) && conflicted.test(i)) {
        accepted =
            condition(
                "Accepted",
                false,
                "Conflicted",
                "a GRPCRoute on the same Service port takes precedence over this HTTPRoute",
                generation);
      }
      RouteParentStatus previous = find(existing, ref);
      List<Condition> conditions = new ArrayList<>();
      conditions.add(keepTransitionTime(accepted, previous, now));
      conditions.add(keepTransitionTime(resolved, previous, now));
      if (partial != null && "True".equals(accepted.getStatus())) {
        conditions.add(keepTransitionTime(partial, previous, now));
      }
      out.add(
          new RouteParentStatusBuilder()
              .withControllerName(CONTROLLER_NAME)
              .withParentRef(echo(ref))
              .withConditions(conditions)
              .build());
    }
    return out;
  }

  private static Condition partiallyInvalid(List<RouteProblem> problems, Long generation) {
    List<String> dropped = new ArrayList<>();
    for (RouteProblem p : problems) {
      if (!p.reason().startsWith("backend answers 500")) {
        dropped.add(p.field() + ": " + p.reason());
      }
    }
    if (dropped.isEmpty()) {
      return null;
    }
    return condition(
        "PartiallyInvalid",
        true,
        "UnsupportedValue",
        "Dropped Rule(s): " + String.join("; ", dropped),
        generation);
  }

  /** The parentRef as the user wrote it, field for field (the spec requires an exact echo). */
  private static ParentReference echo(ParentReference ref) {
    return new ParentReferenceBuilder()
        .withGroup(ref.getGroup())
        .withKind(ref.getKind())
        .withNamespace(ref.getNamespace())
        .withName(ref.getName())
        .withPort(ref.getPort())
        .withSectionName(ref.getSectionName())
        .build();
  }

  private static Condition accepted(
      ParentReference ref, String routeNamespace, Function<String, Service> services, Long gen) {
    String ns = ref.getNamespace() == null ? routeNamespace : ref.getNamespace();
    Service svc = services.apply(ns + "/" + ref.getName());
    if (svc == null) {
      return condition(
          "Accepted",
          false,
          "NoMatchingParent",
          "Service " + ns + "/" + ref.getName() + " not found",
          gen);
    }
    String clusterIp = svc.getSpec() == null ? null : svc.getSpec().getClusterIP();
    if (clusterIp == null || clusterIp.isEmpty() || "None".equals(clusterIp)) {
      return condition(
          "Accepted",
          false,
          "NoMatchingParent",
          "Service " + ns + "/" + ref.getName() + " has no ClusterIP (headless or ExternalName)",
          gen);
    }
    List<ServicePort> ports =
        svc.getSpec().getPorts() == null ? List.of() : svc.getSpec().getPorts();
    if (ref.getPort() != null
        && ports.stream().noneMatch(p -> Objects.equals(p.getPort(), ref.getPort()))) {
      return condition(
          "Accepted",
          false,
          "NoMatchingParent",
          "Service " + ns + "/" + ref.getName() + " has no port " + ref.getPort(),
          gen);
    }
    if (ref.getSectionName() != null
        && ports.stream().noneMatch(p -> ref.getSectionName().equals(p.getName()))) {
      return condition(
          "Accepted",
          false,
          "NoMatchingParent",
          "Service " + ns + "/" + ref.getName() + " has no port named " + ref.getSectionName(),
          gen);
    }
    return condition("Accepted", true, "Accepted", "Route accepted by the mesh", gen);
  }

  /**
   * ResolvedRefs covers the whole route, so it is the same for every parent. Cross-namespace
   * backends need no ReferenceGrant on mesh routes (GEP-1294).
   */
  private static Condition resolvedRefs(
      String ns, List<List<Ref>> rules, Function<String, Service> services, Long gen) {
    for (int r = 0; r < rules.size(); r++) {
      List<Ref> backends = rules.get(r);
      for (int b = 0; b < backends.size(); b++) {
        Ref ref = backends.get(b);
        String kind = ref.kind() == null ? "Service" : ref.kind();
        String where = "spec.rules[" + r + "].backendRefs[" + b + "]";
        if (!isServiceRef(ref.group(), kind)) {
          return condition(
              "ResolvedRefs",
              false,
              "InvalidKind",
              where
                  + ": kind "
                  + (ref.group() == null || ref.group().isEmpty() ? "" : ref.group() + "/")
                  + kind
                  + " is not supported (Service only)",
              gen);
        }
        String bns = ref.namespace() == null ? ns : ref.namespace();
        if (services.apply(bns + "/" + ref.name()) == null) {
          return condition(
              "ResolvedRefs",
              false,
              "BackendNotFound",
              where + ": Service " + bns + "/" + ref.name() + " not found",
              gen);
        }
      }
    }
    return condition("ResolvedRefs", true, "ResolvedRefs", "All references resolved", gen);
  }

  private static Condition condition(
      String type, boolean ok, String reason, String message, Long generation) {
    return Conditions.of(type, ok, reason, message, generation);
  }

  private static RouteParentStatus find(List<RouteParentStatus> existing, ParentReference ref) {
    ParentReference key = echo(ref);
    for (RouteParentStatus p : existing) {
      if (CONTROLLER_NAME.equals(p.getControllerName())
          && p.getParentRef() != null
          && echo(p.getParentRef()).equals(key)) {
        return p;
      }
    }
    return null;
  }

  /** A condition keeps its transition time while its status stays the same. */
  private static Condition keepTransitionTime(
      Condition c, RouteParentStatus previous, Instant now) {
    return Conditions.keepTransitionTime(
        c, previous == null ? null : previous.getConditions(), now);
  }
}
