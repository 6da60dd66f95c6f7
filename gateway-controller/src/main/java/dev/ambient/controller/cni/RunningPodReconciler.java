package dev.ambient.controller.cni;

import dev.ambient.controller.kube.KubeTranslator;
import dev.ambient.ztunnel.cni.CniPlugin;
import dev.ambient.ztunnel.cni.PodRecord;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodIP;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Pods that were already running when their namespace (or they) joined the mesh get captured, and
 * pods that left it get released, as Istio's CNI node agent does: level-triggered on watches of
 * this node's pods and of namespaces, plus a periodic pass. A running pod's network namespace is
 * found among the node's named namespaces ({@code /var/run/netns}, where the runtime mounts them)
 * as the one holding the pod's address.
 *
 * <p>Pods the CNI plugin handles are left to it: a starting pod has no address in the API yet, and
 * once it has one it is recorded (captured) or not in the mesh.
 */
public final class RunningPodReconciler implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(RunningPodReconciler.class);

  private final KubernetesClient client;
  private final String node;
  private final CniPlugin plugin;
  private final String clusterId;
  private final Path netnsDir;
  private final ScheduledExecutorService loop;
  private final AtomicBoolean pending = new AtomicBoolean();
  private SharedIndexInformer<Pod> pods;
  private SharedIndexInformer<Namespace> namespaces;

  public RunningPodReconciler(
      KubernetesClient client, String node, CniPlugin plugin, String clusterId, Path netnsDir) {
    this.client = client;
    this.node = node;
    this.plugin = plugin;
    this.clusterId = clusterId;
    this.netnsDir = netnsDir;
    this.loop =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "cni-running-pods");
              t.setDaemon(true);
              return t;
            });
  }

  public void start() {
    ResourceEventHandler<Object> kick =
        new ResourceEventHandler<>() {
          @Override
          public void onAdd(Object o) {
            schedule();
          }

          @Override
          public void onUpdate(Object a, Object b) {
            schedule();
          }

          @Override
          public void onDelete(Object o, boolean unknown) {
            schedule();
          }
        };
    namespaces = client.namespaces().inform(cast(kick));
    pods = client.pods().inAnyNamespace().withField("spec.nodeName", node).inform(cast(kick));
    loop.scheduleWithFixedDelay(this::schedule, 10, 10, TimeUnit.SECONDS);
  }

  @SuppressWarnings("unchecked")
  private static <T> ResourceEventHandler<T> cast(ResourceEventHandler<Object> h) {
    return (ResourceEventHandler<T>) (ResourceEventHandler<?>) h;
  }

  /** Coalesces bursts of events into one pass on the loop thread (informer threads never wait). */
  private void schedule() {
    if (pending.compareAndSet(false, true)) {
      loop.execute(
          () -> {
            pending.set(false);
            reconcile();
          });
    }
  }

  private void reconcile() {
    if (!pods.hasSynced() || !namespaces.hasSynced()) {
      return;
    }
    for (Pod pod : pods.getStore().list()) {
      try {
        reconcile(pod);
      } catch (RuntimeException e) {
        LOG.warn(
            "pod {}/{}: {}",
            pod.getMetadata().getNamespace(),
            pod.getMetadata().getName(),
            e.toString());
      }
    }
  }

  private void reconcile(Pod pod) {
    var meta = pod.getMetadata();
    if (meta.getDeletionTimestamp() != null
        || Boolean.TRUE.equals(pod.getSpec().getHostNetwork())
        || pod.getStatus() == null
        || !"Running".equals(pod.getStatus().getPhase())) {
      return;
    }
    List<String> ips = ips(pod);
    if (ips.isEmpty()) {
      return; // still starting: the CNI plugin's business
    }
    String ref = meta.getNamespace() + "/" + meta.getName();
    Optional<PodRecord> recorded;
    try {
      recorded = plugin.store().find(meta.getNamespace(), meta.getName());
    } catch (IOException | IllegalArgumentException e) {
      LOG.warn("pod {}: reading its record: {}", ref, e.getMessage());
      return;
    }
    Namespace ns = namespaces.getStore().getByKey(meta.getNamespace());
    boolean want = KubeTranslator.captured(pod, ns);
    if (want && recorded.isEmpty()) {
      capture(pod, ref, ips);
    } else if (!want && recorded.isPresent()) {
      CniPlugin.Outcome o = plugin.del(ref, null);
      LOG.info("pod {} left the mesh while running: {}", ref, String.join("; ", o.lines()));
    }
  }

  private void capture(Pod pod, String ref, List<String> ips) {
    List<InetAddress> addresses = new ArrayList<>();
    for (String ip : ips) {
      try {
        addresses.add(InetAddress.getByName(ip));
      } catch (UnknownHostException e) {
        return;
      }
    }
    Path netns = findNetns(addresses);
    if (netns == null) {
      LOG.warn(
          "pod {} joined the mesh while running, but no namespace in {} holds {}",
          ref,
          netnsDir,
          ips);
      return;
    }
    String sa = pod.getSpec().getServiceAccountName();
    var meta = pod.getMetadata();
    PodRecord record =
        new PodRecord(
            clusterId + "//Pod/" + meta.getNamespace() + "/" + meta.getName(),
            meta.getNamespace(),
            meta.getName(),
            sa == null || sa.isEmpty() ? "default" : sa,
            netns.toString(),
            ips,
            node);
    CniPlugin.Outcome o = plugin.capture(record, addresses);
    LOG.info("pod {} joined the mesh while running: {}", ref, String.join("; ", o.lines()));
  }

  private Path findNetns(List<InetAddress> addresses) {
    try (DirectoryStream<Path> all = Files.newDirectoryStream(netnsDir)) {
      for (Path p : all) {
        try {
          if (CniPlugin.holdsAnyOf(p, addresses)) {
            return p;
          }
        } catch (IOException e) {
          // Not a namespace we can enter (being torn down): look further.
        }
      }
    } catch (IOException e) {
      LOG.warn("cannot list {}: {}", netnsDir, e.getMessage());
    }
    return null;
  }

  private static List<String> ips(Pod pod) {
    List<String> out = new ArrayList<>();
    if (pod.getStatus().getPodIPs() != null) {
      for (PodIP ip : pod.getStatus().getPodIPs()) {
        if (ip.getIp() != null
            && ip.getIp().matches("[0-9a-fA-F.:]+")
            && !out.contains(ip.getIp())) {
          out.add(ip.getIp());
        }
      }
    }
    String ip = pod.getStatus().getPodIP();
    if (out.isEmpty() && ip != null && ip.matches("[0-9a-fA-F.:]+")) {
      out.add(ip);
    }
    return out;
  }

  @Override
  public void close() {
    loop.shutdownNow();
    if (pods != null) {
      pods.close();
    }
    if (namespaces != null) {
      namespaces.close();
    }
  }
}
