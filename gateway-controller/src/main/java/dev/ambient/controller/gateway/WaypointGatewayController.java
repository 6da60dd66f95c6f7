package dev.ambient.controller.gateway;

import dev.ambient.controller.kube.CoalescedPass;
import dev.ambient.controller.kube.Informers;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.Gateway;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.GatewayClass;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.GatewayClassStatus;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.GatewayStatus;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns waypoint Gateways into running waypoints and keeps their status true, level-triggered from
 * informers on GatewayClasses, Gateways and the objects it manages: every pass renders each valid
 * waypoint Gateway's ServiceAccount, Deployment and Service ({@link WaypointManifests}), applies
 * those whose rendering changed (server-side apply; a hash annotation says what was applied, so a
 * converged cluster sees no writes), deletes managed objects whose Gateway is gone or no longer
 * ours, and writes GatewayClass and Gateway status only when it would change. Failed writes are
 * retried by a later pass. Listeners get the current list of valid waypoints after every pass.
 */
public final class WaypointGatewayController implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(WaypointGatewayController.class);
  static final String FIELD_MANAGER = "ambient-controller";
  static final String HASH_ANNOTATION = "ambient.dev/rendered-hash";
  private static final Duration COALESCE = Duration.ofMillis(50);
  private static final Duration RETRY = Duration.ofSeconds(1);

  private final KubernetesClient client;
  private final WaypointManifests.Settings settings;
  private final CoalescedPass passes;
  private final List<Consumer<List<WaypointGateway>>> listeners = new CopyOnWriteArrayList<>();
  private final List<SharedIndexInformer<?>> informers = new ArrayList<>();
  private SharedIndexInformer<GatewayClass> classes;
  private SharedIndexInformer<Gateway> gateways;
  private SharedIndexInformer<Deployment> deployments;
  private SharedIndexInformer<Service> services;
  private SharedIndexInformer<ServiceAccount> accounts;
  private volatile List<WaypointGateway> current = List.of();
  // Events arrive while the informers start; passes wait until every cache is there.
  private volatile boolean started;

  private WaypointGatewayController(KubernetesClient client, WaypointManifests.Settings settings) {
    this.client = client;
    this.settings = settings;
    this.passes = new CoalescedPass("waypoint-gateways", this::pass);
  }

  /** Starts watching; returns null (and logs why) when the cluster does not serve Gateways. */
  public static WaypointGatewayController start(
      KubernetesClient client, WaypointManifests.Settings settings, Duration syncTimeout)
      throws TimeoutException, InterruptedException {
    for (String crd :
        List.of("gateways.gateway.networking.k8s.io", "gatewayclasses.gateway.networking.k8s.io")) {
      try {
        if (client.apiextensions().v1().customResourceDefinitions().withName(crd).get() == null) {
          log.warn("the Gateway API CRD {} is not installed: no waypoints are provisioned", crd);
          return null;
        }
      } catch (KubernetesClientException e) {
        log.warn("cannot check for the CRD {}: {}", crd, e.getMessage());
        return null;
      }
    }
    WaypointGatewayController c = new WaypointGatewayController(client, settings);
    try {
      c.startInformers(syncTimeout);
    } catch (TimeoutException | InterruptedException | RuntimeException e) {
      c.close();
      throw e;
    }
    c.started = true;
    c.schedule(Duration.ZERO);
    return c;
  }

  private void startInformers(Duration syncTimeout) throws TimeoutException, InterruptedException {
    Runnable onChange = () -> schedule(COALESCE);
    String managed = WaypointManifests.MANAGED_LABEL;
    String value = WaypointManifests.MANAGED_VALUE;
    classes = client.resources(GatewayClass.class).inform(Informers.onAnyChange(onChange));
    gateways =
        client.resources(Gateway.class).inAnyNamespace().inform(Informers.onAnyChange(onChange));
    deployments =
        client
            .apps()
            .deployments()
            .inAnyNamespace()
            .withLabel(managed, value)
            .inform(Informers.onAnyChange(onChange));
    services =
        client
            .services()
            .inAnyNamespace()
            .withLabel(managed, value)
            .inform(Informers.onAnyChange(onChange));
    accounts =
        client
            .serviceAccounts()
            .inAnyNamespace()
            .withLabel(managed, value)
            .inform(Informers.onAnyChange(onChange));
    informers.addAll(List.of(classes, gateways, deployments, services, accounts));
    Informers.awaitSynced(informers, syncTimeout, "waypoint Gateway informers");
  }

  /** Called with the valid waypoints after every pass (on the controller's thread). */
  public void onWaypoints(Consumer<List<WaypointGateway>> listener) {
    listeners.add(listener);
    listener.accept(current);
  }

  /** The valid waypoint Gateways as of the last pass. */
  public List<WaypointGateway> waypoints() {
    return current;
  }

  private void schedule(Duration delay) {
    if (!started) {
      return; // start() schedules the first pass once the caches are filled
    }
    passes.schedule(delay);
  }

  private void pass() {
    boolean retry = false;
    Instant now = Instant.now();
    try {
      List<GatewayClass> allClasses = classes.getStore().list();
      for (GatewayClass gc : allClasses) {
        if (WaypointClasses.isOurs(gc)) {
          retry |= !writeClassStatus(gc, GatewayStatuses.gatewayClass(gc, now));
        }
      }
      List<WaypointGateway> valid = new ArrayList<>();
      Set<String> wanted = new HashSet<>();
      for (Gateway g : WaypointClasses.ourGateways(allClasses, gateways.getStore().list())) {
        String key = g.getMetadata().getNamespace() + "/" + g.getMetadata().getName();
        var invalid = GatewayStatuses.invalidReason(g);
        if (invalid.isPresent()) {
          log.warn("Gateway {} is not a valid waypoint: {}", key, invalid.get());
        } else {
          WaypointGateway wp = WaypointClasses.waypoint(g);
          valid.add(wp);
          wanted.add(key);
          for (HasMetadata object : WaypointManifests.render(wp, settings)) {
            retry |= !applyIfChanged(object);
          }
        }
        GatewayStatus desired =
            GatewayStatuses.gateway(
                g, deployments.getStore().getByKey(key), services.getStore().getByKey(key), now);
        retry |= !writeGatewayStatus(g, desired);
      }
      retry |= !deleteUnwanted(wanted);
      current = List.copyOf(valid);
      for (Consumer<List<WaypointGateway>> l : listeners) {
        try {
          l.accept(current);
        } catch (RuntimeException e) {
          log.error("waypoint listener failed", e);
        }
      }
    } catch (RuntimeException e) {
      log.error("waypoint Gateway pass failed; retrying", e);
      retry = true;
    }
    if (retry) {
      schedule(RETRY);
    }
  }

  private boolean applyIfChanged(HasMetadata object) {
    String hash = hash(object);
    object.getMetadata().getAnnotations().put(HASH_ANNOTATION, hash);
    String key = object.getMetadata().getNamespace() + "/" + object.getMetadata().getName();
    HasMetadata existing =
        switch (object.getKind()) {
          case "Deployment" -> deployments.getStore().getByKey(key);
          case "Service" -> services.getStore().getByKey(key);
          case "ServiceAccount" -> accounts.getStore().getByKey(key);
          default -> null;
        };
    if (existing != null
        && existing.getMetadata().getAnnotations() != null
        && hash.equals(existing.getMetadata().getAnnotations().get(HASH_ANNOTATION))) {
      return true;
    }
    try {
      client.resource(object).fieldManager(FIELD_MANAGER).forceConflicts().serverSideApply();
      log.info("applied waypoint {} {}", object.getKind(), key);
      return true;
    } catch (KubernetesClientException e) {
      log.warn("waypoint {} {} not applied ({}), retrying", object.getKind(), key, e.getMessage());
      return false;
    }
  }

  private String hash(HasMetadata object) {
    if (object.getMetadata().getAnnotations() == null) {
      object.getMetadata().setAnnotations(new java.util.LinkedHashMap<>());
    } else {
      object
          .getMetadata()
          .setAnnotations(new java.util.LinkedHashMap<>(object.getMetadata().getAnnotations()));
    }
    object.getMetadata().getAnnotations().remove(HASH_ANNOTATION);
    String json = client.getKubernetesSerialization().asJson(object);
    try {
      byte[] d = MessageDigest.getInstance("SHA-256").digest(json.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(d, 0, 12);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Managed objects whose Gateway is no longer a valid waypoint of ours. */
  private boolean deleteUnwanted(Set<String> wanted) {
    boolean ok = true;
    List<HasMetadata> managed = new ArrayList<>();
    managed.addAll(deployments.getStore().list());
    managed.addAll(services.getStore().list());
    managed.addAll(accounts.getStore().list());
    for (HasMetadata m : managed) {
      String gw =
          m.getMetadata().getLabels() == null
              ? null
              : m.getMetadata().getLabels().get(WaypointManifests.GATEWAY_NAME_LABEL);
      if (gw == null || wanted.contains(m.getMetadata().getNamespace() + "/" + gw)) {
        continue;
      }
      if (m.getMetadata().getDeletionTimestamp() != null) {
        continue;
      }
      try {
        client.resource(m).delete();
        log.info(
            "deleted waypoint {} {}/{}: its Gateway is gone or not a valid waypoint",
            m.getKind(),
            m.getMetadata().getNamespace(),
            m.getMetadata().getName());
      } catch (KubernetesClientException e) {
        if (e.getCode() != 404) {
          log.warn(
              "cannot delete {} {}: {}", m.getKind(), m.getMetadata().getName(), e.getMessage());
          ok = false;
        }
      }
    }
    return ok;
  }

  private boolean writeClassStatus(GatewayClass gc, GatewayClassStatus desired) {
    if (Objects.equals(gc.getStatus(), desired)) {
      return true;
    }
    GatewayClass copy = client.getKubernetesSerialization().clone(gc);
    copy.setStatus(desired);
    try {
      client.resource(copy).updateStatus();
      log.info("GatewayClass {} accepted", gc.getMetadata().getName());
      return true;
    } catch (KubernetesClientException e) {
      if (e.getCode() == 404) {
        return true;
      }
      log.warn(
          "GatewayClass {} status not written ({}), retrying",
          gc.getMetadata().getName(),
          e.getMessage());
      return false;
    }
  }

  private boolean writeGatewayStatus(Gateway g, GatewayStatus desired) {
    if (g.getStatus() != null && g.getStatus().getAttachedListenerSets() != null) {
      desired.setAttachedListenerSets(g.getStatus().getAttachedListenerSets());
    }
    if (Objects.equals(g.getStatus(), desired)) {
      return true;
    }
    String name = g.getMetadata().getNamespace() + "/" + g.getMetadata().getName();
    Gateway copy = client.getKubernetesSerialization().clone(g);
    copy.setStatus(desired);
    try {
      client.resource(copy).updateStatus();
      StringBuilder b = new StringBuilder();
      for (var c : desired.getConditions()) {
        b.append(c.getType())
            .append('=')
            .append(c.getStatus())
            .append('/')
            .append(c.getReason())
            .append(' ');
      }
      log.info("Gateway {} status: {}", name, b.toString().strip());
      return true;
    } catch (KubernetesClientException e) {
      if (e.getCode() == 404) {
        return true;
      }
      log.warn("Gateway {} status not written ({}), retrying", name, e.getMessage());
      return false;
    }
  }

  @Override
  public void close() {
    for (SharedIndexInformer<?> informer : informers) {
      informer.close();
    }
    passes.close();
  }
}
