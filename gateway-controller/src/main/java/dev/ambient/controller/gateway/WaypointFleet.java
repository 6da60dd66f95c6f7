package dev.ambient.controller.gateway;

import dev.ambient.api.model.MeshState;
import dev.ambient.api.spiffe.SpiffeId;
import dev.ambient.controller.ca.CallerAuthInterceptor;
import dev.ambient.controller.wasm.EnvoyRejection;
import dev.ambient.controller.wasm.ModuleSource;
import dev.ambient.controller.wasm.PluginStatus;
import dev.ambient.controller.wasm.WasmFilter;
import dev.ambient.controller.wasm.WasmPlan;
import dev.ambient.controller.wasm.WasmPluginTranslator;
import dev.ambient.controller.waypoint.ProtocolPolicy;
import dev.ambient.controller.waypoint.RouteTables;
import dev.ambient.controller.waypoint.WaypointPublisher;
import dev.ambient.controller.waypoint.WaypointTranslator;
import dev.ambient.controller.waypoint.authz.WaypointPolicies;
import dev.ambient.controller.waypoint.authz.WaypointPolicyTranslator;
import dev.ambient.controller.waypoint.xds.WaypointAuthorizer;
import dev.ambient.controller.waypoint.xds.WaypointDiscovery;
import dev.ambient.controller.waypoint.xds.WaypointResources;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.GRPCRoute;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPRoute;
import java.time.Clock;
import java.time.Duration;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps one {@link WaypointPublisher} per waypoint Gateway and every waypoint's Envoy configuration
 * following the mesh, the HTTPRoutes and the set of waypoints: level-triggered, each pass reads the
 * current inputs (never events) and applies them to every waypoint; pokes coalesce into one pass.
 * The route tables are computed once per pass for all waypoints; each waypoint enforces the
 * AuthorizationPolicies that target its Gateway or its services.
 */
public final class WaypointFleet implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(WaypointFleet.class);
  private static final Duration COALESCE = Duration.ofMillis(50);

  /** Where a waypoint's configuration goes: a publisher per Gateway, and its retirement. */
  public interface Publishers {
    WaypointPublisher create(WaypointGateway gateway, WaypointPublisher.Translation translation);

    /** The Gateway is no longer a waypoint: stop serving its node. */
    void retire(WaypointGateway gateway);
  }

  /** The fleet's inputs, read at each pass. */
  public record Inputs(
      Supplier<MeshState> mesh,
      Supplier<List<HTTPRoute>> routes,
      Supplier<List<GenericKubernetesResource>> authorizationPolicies,
      Supplier<List<WaypointGateway>> gateways,
      Supplier<List<GenericKubernetesResource>> wasmPlugins,
      Supplier<List<GRPCRoute>> grpcRoutes) {
    /** Inputs without GRPCRoutes. */
    public Inputs(
        Supplier<MeshState> mesh,
        Supplier<List<HTTPRoute>> routes,
        Supplier<List<GenericKubernetesResource>> authorizationPolicies,
        Supplier<List<WaypointGateway>> gateways,
        Supplier<List<GenericKubernetesResource>> wasmPlugins) {
      this(mesh, routes, authorizationPolicies, gateways, wasmPlugins, List::of);
    }

    /** Inputs without WasmPlugins. */
    public Inputs(
        Supplier<MeshState> mesh,
        Supplier<List<HTTPRoute>> routes,
        Supplier<List<GenericKubernetesResource>> authorizationPolicies,
        Supplier<List<WaypointGateway>> gateways) {
      this(mesh, routes, authorizationPolicies, gateways, List::of, List::of);
    }
  }

  /**
   * How WasmPlugins are handled: where their modules come from, and who hears each pass's plan (the
   * status writer).
   */
  public record WasmSettings(ModuleSource modules, Consumer<WasmPlan> onPlan) {
    /** WasmPlugins are ignored (no module source): the waypoints run none. */
    public static final WasmSettings NONE = new WasmSettings((url, sha) -> null, plan -> {});
  }

  private final Publishers publishers;
  private final Inputs inputs;
  private final WaypointPolicyTranslator.Settings policySettings;
  private final ProtocolPolicy protocols;
  private final Set<String> reported = new HashSet<>();
  private final ScheduledExecutorService thread;
  private final Map<String, Running> running = new LinkedHashMap<>();
  private boolean pending;
  private WasmSettings wasm = WasmSettings.NONE;
  // This pass's WasmPlugin plan; the publishers' translations read it during the pass.
  private volatile WasmPlan wasmPlan = WasmPlan.NONE;
  private final Map<String, EnvoyRejection> rejections =
      new java.util.concurrent.ConcurrentHashMap<>();

  private record Running(WaypointGateway gateway, WaypointPublisher publisher) {}

  public WaypointFleet(
      Publishers publishers,
      Inputs inputs,
      WaypointPolicyTranslator.Settings settings,
      ProtocolPolicy protocols) {
    this.publishers = publishers;
    this.inputs = inputs;
    this.policySettings = settings;
    this.protocols = protocols;
    this.thread =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "waypoint-fleet");
              t.setDaemon(true);
              return t;
            });
  }

  /**
   * The waypoint ADS for pods: a caller may have a Gateway's configuration only when it runs as
   * that Gateway's service account (by its token or its workload certificate).
   */
  public static WaypointDiscovery podDiscovery(Supplier<List<WaypointGateway>> waypoints) {
    return WaypointDiscovery.forServiceAccounts(
        CallerAuthInterceptor.WORKLOAD,
        new WaypointAuthorizer(
            nodeId ->
                waypoints.get().stream()
                    .filter(gw -> gw.nodeId().equals(nodeId))
                    .map(gw -> gw.namespace() + "/" + gw.serviceAccount())
                    .findFirst()));
  }

  /**
   * A fleet whose Gateways' pods take their configuration from {@code discovery}; a retired
   * Gateway's pods, until they are gone, get an empty one.
   */
  public static WaypointFleet forPods(
      WaypointDiscovery discovery,
      Inputs inputs,
      WaypointPolicyTranslator.Settings settings,
      ProtocolPolicy protocols) {
    WaypointFleet fleet =
        new WaypointFleet(
            new Publishers() {
              @Override
              public WaypointPublisher create(
                  WaypointGateway gw, WaypointPublisher.Translation translation) {
                return WaypointPublisher.forPods(
                    discovery, gw.nodeId(), translation, Clock.systemUTC());
              }

              @Override
              public void retire(WaypointGateway gw) {
                discovery.publish(gw.nodeId(), WaypointResources.EMPTY);
              }
            },
            inputs,
            settings,
            protocols);
    discovery.onPluginRejected(fleet::pluginRejected);
    return fleet;
  }

  /**
   * Envoy refused a WasmPlugin ({@code <namespace>.<name>}, as Envoy names it): from the next pass
   * on, and while the plugin and its module stay the same, it is handled as failed, so the rest of
   * its waypoints' configuration is accepted again.
   */
  public void pluginRejected(String envoyName, String message) {
    int dot = envoyName.indexOf('.');
    if (dot <= 0) {
      return;
    }
    String key = envoyName.substring(0, dot) + "/" + envoyName.substring(dot + 1);
    WasmPlan plan = wasmPlan;
    String sha = null;
    for (Map<String, List<WasmFilter>> m : List.of(plan.byWaypoint(), plan.byService())) {
      for (List<WasmFilter> filters : m.values()) {
        for (WasmFilter f : filters) {
          if (f.plugin().equals(key) && !f.failedClosed()) {
            sha = f.module().sha256();
          }
        }
      }
    }
    PluginStatus status = plan.statuses().get(key);
    if (sha == null || status == null) {
      return; // not running any more
    }
    rejections.put(key, new EnvoyRejection(status.generation(), sha, message));
    log.warn("WasmPlugin {} is handled as failed until it changes: Envoy refused it", key);
    poke();
  }

  /** Runs WasmPlugins from the next pass on. */
  public synchronized WaypointFleet withWasm(WasmSettings settings) {
    this.wasm = settings;
    return this;
  }

  /** Something changed: a pass follows shortly. */
  public void poke() {
    synchronized (this) {
      if (pending) {
        return;
      }
      pending = true;
    }
    try {
      thread.schedule(this::pass, COALESCE.toMillis(), TimeUnit.MILLISECONDS);
    } catch (RejectedExecutionException closed) {
      // closing
    }
  }

  /** Runs a pass now, on the caller's thread (tests; the fleet's own passes use its thread). */
  public synchronized void passNow() {
    pass();
  }

  private synchronized void pass() {
    pending = false;
    try {
      MeshState mesh = inputs.mesh().get();
      RouteTables.Result routes =
          RouteTables.translate(
              inputs.routes().get(),
              inputs.grpcRoutes().get(),
              mesh,
              policySettings.clusterDomain());
      List<GenericKubernetesResource> policies = inputs.authorizationPolicies().get();
      Set<String> problems = new HashSet<>();
      problems.addAll(routes.problems().stream().map(Object::toString).toList());
      Map<String, WaypointGateway> wanted = new LinkedHashMap<>();
      for (WaypointGateway gw : inputs.gateways().get()) {
        wanted.put(gw.nodeId(), gw);
      }
      wasmPlan = wasmPlan(mesh, List.copyOf(wanted.values()));
      for (var it = running.entrySet().iterator(); it.hasNext(); ) {
        var e = it.next();
        WaypointGateway now = wanted.get(e.getKey());
        if (now == null || !now.equals(e.getValue().gateway())) {
          publishers.retire(e.getValue().gateway());
          it.remove();
          log.info("waypoint {} retired", e.getKey());
        }
      }
      for (WaypointGateway gw : wanted.values()) {
        Running r =
            running.computeIfAbsent(
                gw.nodeId(), id -> new Running(gw, publishers.create(gw, translation(gw))));
        WaypointPolicies enforced =
            WaypointPolicyTranslator.translate(
                policies, gw.namespace(), gw.name(), gw.className(), policySettings);
        problems.addAll(enforced.problems());
        r.publisher().apply(mesh, routes.tables(), enforced);
      }
      // Each problem is logged once while it lasts (route status and Events carry them too).
      for (String p : problems) {
        if (!reported.contains(p)) {
          log.warn("waypoint configuration: {}", p);
        }
      }
      reported.retainAll(problems);
      reported.addAll(problems);
    } catch (RuntimeException e) {
      log.error("waypoint fleet pass failed; the next change retries", e);
    }
  }

  private WasmPlan wasmPlan(MeshState mesh, List<WaypointGateway> gateways) {
    List<GenericKubernetesResource> plugins = inputs.wasmPlugins().get();
    if (wasm == WasmSettings.NONE) {
      return WasmPlan.NONE;
    }
    Set<String> services = new HashSet<>();
    for (var s : mesh.services()) {
      services.add(s.namespace() + "/" + s.name());
    }
    Set<String> present = new HashSet<>();
    plugins.forEach(
        p -> present.add(p.getMetadata().getNamespace() + "/" + p.getMetadata().getName()));
    rejections.keySet().retainAll(present);
    WasmPlan plan =
        WasmPluginTranslator.translate(
            plugins,
            gateways,
            wasm.modules(),
            policySettings.clusterDomain(),
            services::contains,
            Map.copyOf(rejections));
    wasm.modules().retainOnly(plan.modulesInUse());
    try {
      wasm.onPlan().accept(plan);
    } catch (RuntimeException e) {
      log.warn("WasmPlugin status not updated: {}", e.toString());
    }
    return plan;
  }

  private WaypointPublisher.Translation translation(WaypointGateway gw) {
    SpiffeId identity =
        SpiffeId.of(policySettings.trustDomain(), gw.namespace(), gw.serviceAccount());
    String service = gw.namespace() + "/" + gw.hostname(policySettings.clusterDomain());
    return (state, routes, policies) ->
        wasmPlan
            .forWaypoint(gw.nodeId())
            .applyTo(
                WaypointTranslator.translateGateway(
                    state, gw.nodeId(), identity, service, protocols, routes, policies));
  }

  @Override
  public void close() {
    thread.shutdownNow();
  }
}
