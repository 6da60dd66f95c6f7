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
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publishes the CA's trust bundle as istiod does: ConfigMap {@value #NAME}, key {@value #KEY}, in
 * the mesh's namespace, where ztunnels mount it to verify the controller (and follow root
 * rotations). Level-triggered: every period it compares the ConfigMap with the bundle file and
 * writes it when it is missing or differs (someone deleted or edited it, the root rotated).
 */
public final class TrustBundlePublisher implements AutoCloseable {
  public static final String NAME = "istio-ca-root-cert";
  public static final String KEY = "root-cert.pem";
  private static final Logger LOG = LoggerFactory.getLogger(TrustBundlePublisher.class);

  private final KubernetesClient client;
  private final String namespace;
  private final Path bundle;
  private final ScheduledExecutorService loop;

  private TrustBundlePublisher(KubernetesClient client, String namespace, Path bundle) {
    this.client = client;
    this.namespace = namespace;
    this.bundle = bundle;
    this.loop =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "trust-bundle-publisher");
              t.setDaemon(true);
              return t;
            });
  }

  public static TrustBundlePublisher start(
      KubernetesClient client, String namespace, Path bundle, Duration period) {
    TrustBundlePublisher p = new TrustBundlePublisher(client, namespace, bundle);
    p.loop.scheduleWithFixedDelay(p::reconcile, 0, period.toMillis(), TimeUnit.MILLISECONDS);
    return p;
  }

  /** One pass; public for tests. Returns whether it wrote the ConfigMap. */
  public boolean reconcile() {
    try {
      String pem = Files.readString(bundle, StandardCharsets.US_ASCII);
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
    } catch (IOException | KubernetesClientException e) {
      LOG.warn("cannot publish the trust bundle in {}/{}: {}", namespace, NAME, e.getMessage());
      return false;
    }
  }

  @Override
  public void close() {
    loop.shutdownNow();
  }
}
