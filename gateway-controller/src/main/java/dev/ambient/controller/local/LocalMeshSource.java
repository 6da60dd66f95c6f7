package dev.ambient.controller.local;

import dev.ambient.api.config.LenientMeshConfig;
import dev.ambient.api.model.InvalidMeshConfigException;
import dev.ambient.api.model.MeshConfig;
import dev.ambient.api.model.MeshState;
import dev.ambient.controller.gateway.WaypointClasses;
import dev.ambient.controller.gateway.WaypointGateway;
import dev.ambient.controller.kube.KubeTranslator;
import dev.ambient.controller.kube.ProblemReporter;
import dev.ambient.controller.routes.MeshRouteStatus;
import dev.ambient.controller.waypoint.RouteProblem;
import dev.ambient.controller.waypoint.RouteTables;
import dev.ambient.controller.xds.SnapshotSource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.GRPCRoute;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.GRPCRouteStatus;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.Gateway;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.GatewayStatus;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPRoute;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPRouteStatus;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.RouteParentStatus;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The mesh snapshot from the local object store: the store is polled, and on every change the whole
 * snapshot is rebuilt from its objects through the cluster mode's own translation ({@link
 * KubeTranslator}), level-triggered. An invalid object is left out with a log line naming it and
 * the field, the rest applies. Each pass also brings the local waypoints to the store's waypoint
 * Gateways and writes the HTTPRoutes' and Gateways' {@code status} back into the store (so {@code
 * cat} shows it), only where it differs.
 */
public final class LocalMeshSource implements SnapshotSource {
  private static final Logger log = LoggerFactory.getLogger(LocalMeshSource.class);

  private final LocalStore store;
  private final KubeTranslator.Settings settings;
  private final LocalWaypoints waypoints;
  private final ScheduledExecutorService thread;
  private final List<Consumer<MeshState>> listeners = new CopyOnWriteArrayList<>();
  private final List<Runnable> passListeners = new CopyOnWriteArrayList<>();
  private final List<AutoCloseable> closing = new CopyOnWriteArrayList<>();
  private Set<String> reported = new HashSet<>();
  private byte[] lastHash;
  private MeshConfig lastConfig;
  private long version;
  private volatile MeshState current = MeshState.EMPTY;
  private volatile StoreContents contents = StoreContents.EMPTY;
  private volatile List<WaypointGateway> gateways = List.of();
  private volatile Map<String, LocalWaypoints.State> waypointStates = Map.of();

  private LocalMeshSource(
      LocalStore store, KubeTranslator.Settings settings, LocalWaypoints waypoints) {
    this.store = store;
    this.settings = settings;
    this.waypoints = waypoints;
    this.thread =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "local-store");
              t.setDaemon(true);
              return t;
            });
  }

  /** Builds the first snapshot (an empty or missing store is an empty mesh) and starts polling. */
  public static LocalMeshSource start(
      LocalStore store,
      KubeTranslator.Settings settings,
      LocalWaypoints waypoints,
      Duration pollInterval)
      throws IOException {
    Files.createDirectories(store.dir());
    LocalMeshSource source = new LocalMeshSource(store, settings, waypoints);
    try {
      source.thread.submit(source::pollNow).get();
    } catch (java.util.concurrent.ExecutionException e) {
      source.close();
      throw new IOException("reading the store " + store.dir() + ": " + e.getCause(), e);
    } catch (InterruptedException e) {
      source.close();
      Thread.currentThread().interrupt();
      throw new IOException("interrupted reading the store " + store.dir());
    }
    long poll = pollInterval.toMillis();
    source.thread.scheduleWithFixedDelay(source::safePoll, poll, poll, TimeUnit.MILLISECONDS);
    return source;
  }

  private void safePoll() {
    try {
      pollNow();
    } catch (RuntimeException e) {
      log.error("local store pass failed; the next poll retries", e);
    }
  }

  /** Rebuilds if the store's files changed; on the source's thread only. */
  private void pollNow() {
    byte[] hash;
    try {
      hash = hash(store.files());
    } catch (IOException e) {
      reportOnce(Set.of("store " + store.dir() + " unreadable: " + e.getMessage()));
      return;
    }
    if (lastHash != null && Arrays.equals(hash, lastHash) && !waypoints.changed()) {
      return;
    }
    lastHash = hash;
    pass();
  }

  private void pass() {
    LocalStore.Snapshot snapshot;
    try {
      snapshot = store.read();
    } catch (IOException e) {
      reportOnce(Set.of("store " + store.dir() + " unreadable: " + e.getMessage()));
      return;
    }
    Set<String> problems = new java.util.LinkedHashSet<>(snapshot.problems());
    List<StoreObject> valid = new ArrayList<>();
    for (StoreObject o : snapshot.objects().values()) {
      List<String> own = StoreValidator.ownProblems(o);
      if (own.isEmpty()) {
        valid.add(o);
      } else {
        problems.addAll(own);
      }
    }
    StoreContents objects = StoreContents.of(valid);
    List<WaypointGateway> wanted = new ArrayList<>();
    for (Gateway g : objects.gateways()) {
      wanted.add(WaypointClasses.waypoint(g));
    }
    Set<String> taken = new HashSet<>();
    for (Pod p : objects.pods()) {
      if (p.getStatus() != null && p.getStatus().getPodIP() != null) {
        taken.add(p.getStatus().getPodIP());
      }
      if (p.getStatus() != null && p.getStatus().getPodIPs() != null) {
        p.getStatus().getPodIPs().forEach(ip -> taken.add(ip.getIp()));
      }
    }
    Map<String, LocalWaypoints.State> states = waypoints.reconcile(wanted, taken);
    List<Pod> waypointPods = new ArrayList<>();
    List<Service> waypointServices = new ArrayList<>();
    for (WaypointGateway gw : wanted) {
      LocalWaypoints.State s = states.get(gw.nodeId());
      LocalWaypoints.Placement placement = s == null ? null : s.placement();
      waypointServices.add(WaypointObjects.service(gw, placement));
      if (placement != null) {
        waypointPods.add(WaypointObjects.pod(gw, placement));
      }
    }
    LenientMeshConfig translated =
        KubeTranslator.translate(objects.clusterObjects(waypointPods, waypointServices), settings);
    for (String p : translated.problems()) {
      ProblemReporter.ObjectProblem op = ProblemReporter.parse(p);
      problems.add(op == null ? p : op.describe());
    }
    MeshState next = null;
    if (!translated.config().equals(lastConfig)) {
      try {
        next = MeshState.of(translated.config(), version + 1);
      } catch (InvalidMeshConfigException e) {
        problems.add(
            "the store's objects do not form a consistent mesh; the previous snapshot keeps"
                + " serving: "
                + String.join("; ", e.problems()));
      }
    }
    reportOnce(problems);
    contents = objects;
    gateways = List.copyOf(wanted);
    waypointStates = Map.copyOf(states);
    if (next != null) {
      lastConfig = translated.config();
      version = next.version();
      current = next;
      for (Consumer<MeshState> listener : listeners) {
        try {
          listener.accept(next);
        } catch (RuntimeException e) {
          log.error("snapshot listener failed", e);
        }
      }
    }
    writeStatuses(snapshot, objects, states);
    for (Runnable r : passListeners) {
      try {
        r.run();
      } catch (RuntimeException e) {
        log.error("store pass listener failed", e);
      }
    }
  }

  private void writeStatuses(
      LocalStore.Snapshot snapshot,
      StoreContents objects,
      Map<String, LocalWaypoints.State> states) {
    Instant now = Instant.now();
    Map<String, Service> services = new HashMap<>();
    for (Service s : objects.services()) {
      services.put(s.getMetadata().getNamespace() + "/" + s.getMetadata().getName(), s);
    }
    Map<String, List<RouteProblem>> routeProblems = new HashMap<>();
    RouteTables.Result translatedRoutes = null;
    try {
      RouteTables.Result translated =
          RouteTables.translate(
              objects.routes(), objects.grpcRoutes(), current, settings.clusterDomain());
      for (RouteProblem p : translated.problems()) {
        routeProblems.computeIfAbsent(p.kind() + " " + p.route(), k -> new ArrayList<>()).add(p);
      }
      translatedRoutes = translated;
    } catch (RuntimeException e) {
      log.warn("route problems not computed this pass: {}", e.toString());
    }
    RouteTables.Result conflicts = translatedRoutes;
    for (StoreObject o : snapshot.objects().values()) {
      try {
        if (o.kind() == StoreKind.HTTP_ROUTE) {
          HTTPRoute route = (HTTPRoute) o.object();
          String key = route.getMetadata().getNamespace() + "/" + route.getMetadata().getName();
          List<RouteParentStatus> desired =
              MeshRouteStatus.parents(
                  route,
                  services::get,
                  routeProblems.getOrDefault(RouteProblem.HTTP_ROUTE + " " + key, List.of()),
                  parent -> conflicts != null && conflicts.conflicted(key, parent),
                  now);
          List<RouteParentStatus> currentParents =
              route.getStatus() == null || route.getStatus().getParents() == null
                  ? List.of()
                  : route.getStatus().getParents();
          if (!desired.equals(currentParents)) {
            HTTPRouteStatus status = new HTTPRouteStatus();
            status.setParents(desired);
            if (store.writeStatus(o, status)) {
              log.info("HTTPRoute {} status written", key);
            }
          }
        } else if (o.kind() == StoreKind.GRPC_ROUTE) {
          GRPCRoute route = (GRPCRoute) o.object();
          String key = route.getMetadata().getNamespace() + "/" + route.getMetadata().getName();
          List<RouteParentStatus> desired =
              MeshRouteStatus.parents(
                  route,
                  services::get,
                  routeProblems.getOrDefault(RouteProblem.GRPC_ROUTE + " " + key, List.of()),
                  now);
          List<RouteParentStatus> currentParents =
              route.getStatus() == null || route.getStatus().getParents() == null
                  ? List.of()
                  : route.getStatus().getParents();
          if (!desired.equals(currentParents)) {
            GRPCRouteStatus status = new GRPCRouteStatus();
            status.setParents(desired);
            if (store.writeStatus(o, status)) {
              log.info("GRPCRoute {} status written", key);
            }
          }
        } else if (o.kind() == StoreKind.GATEWAY && StoreValidator.ownProblems(o).isEmpty()) {
          Gateway g = (Gateway) o.object();
          String key = g.getMetadata().getNamespace() + "/" + g.getMetadata().getName();
          LocalWaypoints.State s = states.get(key);
          GatewayStatus desired = LocalGatewayStatus.of(g, s == null ? null : s.asStatus(), now);
          if (!desired.equals(g.getStatus()) && store.writeStatus(o, desired)) {
            log.info("Gateway {} status written", key);
          }
        }
      } catch (IOException | RuntimeException e) {
        log.warn(
            "{}: status not written ({}); the next change retries", o.describe(), e.toString());
      }
    }
  }

  private void reportOnce(Set<String> problems) {
    for (String p : problems) {
      if (!reported.contains(p)) {
        log.warn("left out of the mesh: {}", p);
      }
    }
    reported = new HashSet<>(problems);
  }

  private static byte[] hash(List<Path> files) throws IOException {
    try {
      MessageDigest d = MessageDigest.getInstance("SHA-256");
      for (Path f : files) {
        d.update(f.getFileName().toString().getBytes(StandardCharsets.UTF_8));
        d.update((byte) 0);
        try {
          d.update(Files.readAllBytes(f));
        } catch (java.nio.file.NoSuchFileException gone) {
          d.update((byte) 1);
        }
        d.update((byte) 0);
      }
      return d.digest();
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The store's valid objects as of the last pass. */
  public StoreContents contents() {
    return contents;
  }

  public List<HTTPRoute> routes() {
    return contents.routes();
  }

  public List<GRPCRoute> grpcRoutes() {
    return contents.grpcRoutes();
  }

  public List<GenericKubernetesResource> authorizationPolicies() {
    return contents.authorizationPolicies();
  }

  /** The waypoint Gateways of the last pass. */
  public List<WaypointGateway> waypoints() {
    return gateways;
  }

  /**
   * The waypoint Gateways whose waypoint serves (has an address): the ones to configure. Until a
   * waypoint serves, its Service has no address and there is nothing to translate for it.
   */
  public List<WaypointGateway> servingWaypoints() {
    Map<String, LocalWaypoints.State> states = waypointStates;
    return gateways.stream()
        .filter(
            gw -> states.get(gw.nodeId()) != null && states.get(gw.nodeId()).placement() != null)
        .toList();
  }

  /** The waypoints' states of the last pass, by node id. */
  public Map<String, LocalWaypoints.State> waypointStates() {
    return waypointStates;
  }

  /**
   * Runs a pass soon even if the store did not change (the waypoints' runtime became able to start
   * them, say).
   */
  public void refresh() {
    try {
      thread.execute(
          () -> {
            try {
              pass();
            } catch (RuntimeException e) {
              log.error("local store pass failed; the next change retries", e);
            }
          });
    } catch (java.util.concurrent.RejectedExecutionException closed) {
      // closing
    }
  }

  /** Resources to close with the source (after its thread stops, before the waypoints). */
  public LocalMeshSource alsoClosing(AutoCloseable... resources) {
    closing.addAll(List.of(resources));
    return this;
  }

  /** Called after every pass that read the store (routes, policies or Gateways may differ). */
  public void onPass(Runnable listener) {
    passListeners.add(listener);
  }

  @Override
  public MeshState current() {
    return current;
  }

  @Override
  public void onChange(Consumer<MeshState> listener) {
    listeners.add(listener);
  }

  @Override
  public void close() {
    thread.shutdownNow();
    try {
      thread.awaitTermination(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    for (AutoCloseable c : closing) {
      try {
        c.close();
      } catch (Exception e) {
        log.warn("closing {}: {}", c, e.toString());
      }
    }
    waypoints.close();
  }
}
