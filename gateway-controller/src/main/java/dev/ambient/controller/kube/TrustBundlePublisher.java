package dev.ambient.controller.kube;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publishes the CA's trust bundle as istiod does: ConfigMap {@value #NAME}, key {@value #KEY}, in
 * each namespace that needs it: the mesh's, where ztunnels mount it to verify the controller (and
 * follow root rotations), and those of waypoints, whose pods mount it likewise. Level-triggered:
 * every period it compares each ConfigMap with the bundle file and writes it when it is missing or
 * differs (someone deleted or edited it, the root rotated).
 */
public final class TrustBundlePublisher implements AutoCloseable {
  public static final String NAME = "istio-ca-root-cert";
  public static final String KEY = "root-cert.pem";
  private static final Logger LOG = LoggerFactory.getLogger(TrustBundlePublisher.class);

  private final KubernetesClient client;
  private final Supplier<Set<String>> namespaces;
  private final Path bundle;
  private final ScheduledExecutorService loop;

  private TrustBundlePublisher(
      KubernetesClient client, Supplier<Set<String>> namespaces, Path bundle) {
    this.client = client;
    this.namespaces = namespaces;
    this.bundle = bundle;
    this.loop =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "trust-bundle-publisher");
              t.setDaemon(true);
              return t;
            });
  }

  /**
   * @param namespaces where the ConfigMap must exist, asked again at every pass
   */
  public static TrustBundlePublisher start(
      KubernetesClient client, Supplier<Set<String>> namespaces, Path bundle, Duration period) {
    TrustBundlePublisher p = new TrustBundlePublisher(client, namespaces, bundle);
    p.loop.scheduleWithFixedDelay(p::reconcile, 0, period.toMillis(), TimeUnit.MILLISECONDS);
    return p;
  }

  /** One pass over every namespace; returns whether it wrote a ConfigMap. */
  public boolean reconcile() {
    String pem;
    try {
      pem = Files.readString(bundle, StandardCharsets.US_ASCII);
    } catch (IOException e) {
      LOG.warn("cannot read the trust bundle {}: {}", bundle, e.getMessage());
      return false;
    }
    boolean wrote = false;
    for (String namespace : namespaces.get()) {
      wrote |= reconcile(namespace, pem);
    }
    return wrote;
  }

  private boolean reconcile(String namespace, String pem) {
    try {
      ConfigMap current = client.configMaps().inNamespace(namespace).withName(NAME).get();
      if (current != null && current.getData() != null && pem.equals(current.getData().get(KEY))) {
        return false;
      }
      ConfigMap want =
          new ConfigMapBuilder()
              .withNewMetadata()
              .withName(NAME)
              .withNamespace(namespace)
              .withLabels(Map.of("istio.io/config", "true"))
              .endMetadata()
              .withData(Map.of(KEY, pem))
              .build();
      client.resource(want).fieldManager("ambient-controller").forceConflicts().serverSideApply();
      LOG.info("published the trust bundle in ConfigMap {}/{}", namespace, NAME);
      return true;
    } catch (KubernetesClientException e) {
      LOG.warn("cannot publish the trust bundle in {}/{}: {}", namespace, NAME, e.getMessage());
      return false;
    }
  }

  @Override
  public void close() {
    loop.shutdownNow();
  }
}
