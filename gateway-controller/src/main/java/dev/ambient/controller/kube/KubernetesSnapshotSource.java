package dev.ambient.controller.kube;

import dev.ambient.api.config.LenientMeshConfig;
import dev.ambient.api.model.InvalidMeshConfigException;
import dev.ambient.api.model.MeshState;
import dev.ambient.controller.xds.SnapshotSource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The mesh snapshot from a Kubernetes cluster: informers on Namespaces, Pods, Services and
 * AuthorizationPolicies, and on every change a rebuild of the whole snapshot from their caches
 * (level-triggered: the translation never sees events, only the current objects). Bursts of events
 * coalesce into one rebuild. A snapshot that cannot be indexed is reported and not applied; the
 * previous one keeps serving.
 */
public final class KubernetesSnapshotSource implements SnapshotSource {
  private static final Logger log = LoggerFactory.getLogger(KubernetesSnapshotSource.class);

  /** How long a burst of events may take to settle before the snapshot is rebuilt. */
  static final Duration COALESCE = Duration.ofMillis(50);

  private final KubernetesClient client;
  private final KubeTranslator.Settings settings;
  private final CoalescedPass passes;
  private final ProblemReporter problems;
  private final List<Consumer<MeshState>> listeners = new CopyOnWriteArrayList<>();
  private final List<SharedIndexInformer<?>> informers = new ArrayList<>();
  private final List<AutoCloseable> closeAfter = new CopyOnWriteArrayList<>();
  private SharedIndexInformer<io.fabric8.kubernetes.api.model.Namespace> namespaces;
  private SharedIndexInformer<io.fabric8.kubernetes.api.model.Pod> pods;
  private SharedIndexInformer<io.fabric8.kubernetes.api.model.Service> services;
  private SharedIndexInformer<GenericKubernetesResource> policies;
  private SharedIndexInformer<GenericKubernetesResource> gateways;
  private SharedIndexInformer<GenericKubernetesResource> peerAuthentications;
  private SharedIndexInformer<io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice>
      endpointSlices;
  private volatile MeshState current = MeshState.EMPTY;
  private long version;

  private KubernetesSnapshotSource(KubernetesClient client, KubeTranslator.Settings settings) {
    this.client = client;
    this.settings = settings;
    this.problems = new ProblemReporter(client);
    this.passes = new CoalescedPass("kube-snapshot", this::rebuild);
  }

  /**
   * Starts the informers, waits until their caches are filled and builds the first snapshot.
   *
   * @throws TimeoutException when the caches do not fill in time (the API server is unreachable)
   */
  public static KubernetesSnapshotSource start(
      KubernetesClient client, KubeTranslator.Settings settings, Duration syncTimeout)
      throws TimeoutException, InterruptedException {
    KubernetesSnapshotSource source = new KubernetesSnapshotSource(client, settings);
    try {
      source.startInformers(syncTimeout);
      source.passes.runAndWait();
    } catch (java.util.concurrent.ExecutionException e) {
      source.close();
      throw new IllegalStateException("first snapshot failed", e.getCause());
    } catch (TimeoutException | InterruptedException | RuntimeException e) {
      source.close();
      throw e;
    }
    return source;
  }

  private void startInformers(Duration syncTimeout) throws TimeoutException, InterruptedException {
    Runnable onChange = this::scheduleRebuild;
    namespaces = client.namespaces().inform(Informers.onAnyChange(onChange));
    pods = client.pods().inAnyNamespace().inform(Informers.onAnyChange(onChange));
    services = client.services().inAnyNamespace().inform(Informers.onAnyChange(onChange));
    endpointSlices =
        client
            .discovery()
            .v1()
            .endpointSlices()
            .inAnyNamespace()
            .inform(Informers.onAnyChange(onChange));
    informers.addAll(List.of(namespaces, pods, services, endpointSlices));
    policies =
        informIfServed(
            "authorizationpolicies.security.istio.io",
            "security.istio.io/v1",
            "AuthorizationPolicy");
    if (policies == null) {
      log.warn(
          "the AuthorizationPolicy CRD (security.istio.io) is not installed: the mesh has no"
              + " policies until it is and the controller restarts");
    }
    peerAuthentications =
        informIfServed(
            "peerauthentications.security.istio.io", "security.istio.io/v1", "PeerAuthentication");
    // Only for the waypoints' istio.io/waypoint-for: which traffic each one takes.
    gateways =
        informIfServed(
            "gateways.gateway.networking.k8s.io", "gateway.networking.k8s.io/v1", "Gateway");
    Informers.awaitSynced(informers, syncTimeout, "Kubernetes informers");
  }

  /** An informer on every namespace's objects of a custom kind, or null without its CRD. */
  private SharedIndexInformer<GenericKubernetesResource> informIfServed(
      String crd, String apiVersion, String kind) {
    if (!crdServed(crd)) {
      return null;
    }
    SharedIndexInformer<GenericKubernetesResource> informer =
        client
            .genericKubernetesResources(apiVersion, kind)
            .inAnyNamespace()
            .inform(Informers.onAnyChange(this::scheduleRebuild));
    informers.add(informer);
    return informer;
  }

  private boolean crdServed(String name) {
    try {
      return client.apiextensions().v1().customResourceDefinitions().withName(name).get() != null;
    } catch (RuntimeException e) {
      log.warn("cannot check for CRD {}: {}", name, e.getMessage());
      return false;
    }
  }

  private void scheduleRebuild() {
    passes.schedule(COALESCE);
  }

  /** Runs on the source's thread only. */
  private void rebuild() {
    ClusterObjects objects =
        new ClusterObjects(
            namespaces.getStore().list(),
            pods.getStore().list(),
            services.getStore().list(),
            policies == null ? List.of() : policies.getStore().list(),
            gateways == null ? List.of() : gateways.getStore().list(),
            peerAuthentications == null ? List.of() : peerAuthentications.getStore().list(),
            endpointSlices.getStore().list());
    LenientMeshConfig translated;
    try {
      translated = KubeTranslator.translate(objects, settings);
    } catch (RuntimeException e) {
      log.error("translating the cluster failed; the previous snapshot keeps serving", e);
      return;
    }
    problems.report(translated.problems());
    MeshState next;
    try {
      next = MeshState.of(translated.config(), version + 1);
    } catch (InvalidMeshConfigException e) {
      log.error(
          "the cluster's objects do not form a consistent mesh; the previous snapshot keeps"
              + " serving: {}",
          String.join("; ", e.problems()));
      return;
    }
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

  /** The Services informer, for other controllers to share (they must not close it). */
  public SharedIndexInformer<io.fabric8.kubernetes.api.model.Service> servicesInformer() {
    return services;
  }

  /** The AuthorizationPolicies as the informer holds them (none when the CRD is missing). */
  public List<GenericKubernetesResource> authorizationPolicies() {
    return policies == null ? List.of() : policies.getStore().list();
  }

  /** Resources to close after the informers when the source closes (the client, say). */
  public KubernetesSnapshotSource alsoClosing(AutoCloseable... resources) {
    closeAfter.addAll(List.of(resources));
    return this;
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
    for (SharedIndexInformer<?> informer : informers) {
      informer.close();
    }
    passes.close();
    for (AutoCloseable c : closeAfter) {
      try {
        c.close();
      } catch (Exception e) {
        log.warn("closing {}: {}", c, e.getMessage());
      }
    }
  }
}
