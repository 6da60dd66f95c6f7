package dev.ambient.controller.wasm;

import dev.ambient.controller.kube.CoalescedPass;
import dev.ambient.controller.kube.Informers;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Watches Istio WasmPlugins for the waypoint fleet and keeps their status true: each fleet pass
 * hands over its {@link WasmPlan}; a status pass then writes the plugins whose status would change
 * (never the others), retrying a lost race on the next pass.
 */
public final class WasmPluginController implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(WasmPluginController.class);
  public static final String API_VERSION = "extensions.istio.io/v1alpha1";
  private static final Duration COALESCE = Duration.ofMillis(50);
  private static final Duration RETRY = Duration.ofSeconds(1);

  private final KubernetesClient client;
  private final CoalescedPass passes;
  private SharedIndexInformer<GenericKubernetesResource> plugins;
  private volatile WasmPlan plan;

  private WasmPluginController(KubernetesClient client) {
    this.client = client;
    this.passes = new CoalescedPass("wasmplugin-status", this::pass);
  }

  /** Starts watching; returns null (and logs why) when the cluster does not serve WasmPlugins. */
  public static WasmPluginController start(KubernetesClient client, Duration syncTimeout)
      throws TimeoutException, InterruptedException {
    try {
      if (client
              .apiextensions()
              .v1()
              .customResourceDefinitions()
              .withName("wasmplugins.extensions.istio.io")
              .get()
          == null) {
        log.warn("the WasmPlugin CRD (extensions.istio.io) is not installed: waypoints run none");
        return null;
      }
    } catch (KubernetesClientException e) {
      log.warn("cannot check for the WasmPlugin CRD: {}", e.getMessage());
      return null;
    }
    WasmPluginController c = new WasmPluginController(client);
    c.plugins =
        client
            .genericKubernetesResources(API_VERSION, "WasmPlugin")
            .inAnyNamespace()
            .inform(Informers.onAnyChange(() -> c.passes.schedule(COALESCE)));
    try {
      Informers.awaitSynced(List.of(c.plugins), syncTimeout, "WasmPlugin informer");
    } catch (TimeoutException | InterruptedException e) {
      c.close();
      throw e;
    }
    return c;
  }

  /** The WasmPlugins as the informer holds them. */
  public List<GenericKubernetesResource> plugins() {
    return plugins.getStore().list();
  }

  /** Calls {@code onChange} after any WasmPlugin event (the fleet re-translates). */
  public void onChange(Runnable onChange) {
    plugins.addEventHandler(Informers.onAnyChange(onChange));
  }

  /** A fleet pass's plan: statuses follow shortly. */
  public void publish(WasmPlan next) {
    plan = next;
    passes.schedule(COALESCE);
  }

  private void pass() {
    WasmPlan current = plan;
    if (current == null) {
      return;
    }
    boolean retry = false;
    Instant now = Instant.now();
    for (GenericKubernetesResource p : plugins.getStore().list()) {
      String key = WasmPluginTranslator.key(p);
      PluginStatus verdict = current.statuses().get(key);
      if (verdict == null
          || (p.getMetadata().getGeneration() != null
              && !p.getMetadata().getGeneration().equals(verdict.generation()))) {
        continue; // the plan predates this version of the plugin; the next pass judges it
      }
      Map<String, Object> desired = WasmPluginStatus.desired(p, verdict, now);
      if (WasmPluginStatus.same(p, desired)) {
        continue;
      }
      retry |= !write(p, desired, verdict);
    }
    if (retry) {
      passes.schedule(RETRY);
    }
  }

  private boolean write(
      GenericKubernetesResource p, Map<String, Object> status, PluginStatus verdict) {
    String key = WasmPluginTranslator.key(p);
    GenericKubernetesResource copy = client.getKubernetesSerialization().clone(p);
    copy.getAdditionalProperties().put("status", status);
    try {
      client.genericKubernetesResources(API_VERSION, "WasmPlugin").resource(copy).updateStatus();
      if (verdict.accepted()) {
        log.info("WasmPlugin {}: Accepted: {}", key, verdict.message());
      } else {
        log.warn("WasmPlugin {}: not accepted ({}): {}", key, verdict.reason(), verdict.message());
      }
      return true;
    } catch (KubernetesClientException e) {
      if (e.getCode() == 404) {
        return true;
      }
      log.warn("WasmPlugin {} status not written ({}), retrying", key, e.getMessage());
      return false;
    }
  }

  @Override
  public void close() {
    if (plugins != null) {
      plugins.close();
    }
    passes.close();
  }
}
