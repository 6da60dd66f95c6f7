package dev.ambient.ztunnel.inpod;

import dev.ambient.api.model.MeshState;
import dev.ambient.api.model.Workload;
import dev.ambient.ztunnel.inpod.protocol.CniMessage;
import dev.ambient.ztunnel.proxy.ProxyListeners;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The pods handed over by the CNI step, and their listeners. Messages are applied one at a time;
 * every outcome is an {@link CniMessage.Ack}, never an exception, so a bad message cannot take down
 * the server or another pod.
 */
public final class InPodManager implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(InPodManager.class);
  private static final Duration BIND_TIMEOUT = Duration.ofSeconds(10);

  private final ProxyListeners proxy;
  private final Duration drainTimeout;
  private final String trustDomain;
  private final Map<String, PodListeners> pods = new LinkedHashMap<>();
  private final AtomicLong generation = new AtomicLong();
  // Concurrent: drains complete on event loops, which must never wait for this manager's lock.
  private final Set<CompletableFuture<Void>> draining = ConcurrentHashMap.newKeySet();
  private boolean closed;

  /**
   * @param proxy the node's listeners (in in-pod mode), whose HBONE pool, outbound path and inbound
   *     dispatcher the pods share
   * @param drainTimeout how long a removed pod's connections may finish before they are cut
   */
  public InPodManager(ProxyListeners proxy, Duration drainTimeout) {
    this(proxy, drainTimeout, null);
  }

  /**
   * @param trustDomain when not null, a pod the mesh state does not know yet is served from what
   *     the CNI step says about it (as Istio's ztunnel does): in a cluster the CNI step runs before
   *     the pod has an address in the API, so discovery cannot have it yet. Null refuses such pods
   *     (the mesh-file mode, where the file is written before pods start).
   */
  public InPodManager(ProxyListeners proxy, Duration drainTimeout, String trustDomain) {
    this.proxy = proxy;
    this.drainTimeout = drainTimeout;
    this.trustDomain = trustDomain;
    proxy.state().onChange(this::follow);
  }

  /** One CNI connection: remembers which pods it (re)sent, for {@link CniMessage.SnapshotSent}. */
  public final class Session {
    private final Set<String> sent = new HashSet<>();

    public CniMessage.Ack handle(CniMessage message) {
      if (message instanceof CniMessage.AddPod add) {
        CniMessage.Ack ack = add(add);
        if (ack.ok()) {
          sent.add(add.uid());
        }
        return ack;
      } else if (message instanceof CniMessage.DelPod del) {
        sent.remove(del.uid());
        return delete(del.uid());
      } else {
        return retainOnly(sent);
      }
    }
  }

  public Session newSession() {
    return new Session();
  }

  /** The uids of the pods served now. */
  public synchronized Set<String> pods() {
    return Set.copyOf(pods.keySet());
  }

  /** The workload a served pod's listeners were opened for, or {@code null}. */
  public synchronized Workload served(String uid) {
    PodListeners p = pods.get(uid);
    return p == null ? null : p.workload;
  }

  /** Live connections of one pod (0 if not served). */
  public synchronized int liveConnections(String uid) {
    PodListeners p = pods.get(uid);
    return p == null ? 0 : p.liveConnections();
  }

  /** Starts serving a pod from its netns, replacing an earlier registration of the same uid. */
  public synchronized CniMessage.Ack add(CniMessage.AddPod add) {
    if (closed) {
      return CniMessage.Ack.failure("ztunnel is shutting down");
    }
    String node = proxy.settings().nodeName();
    MeshState snapshot = proxy.state().current();
    Workload known = snapshot.workloadByUid(add.uid());
    if (known == null && trustDomain != null) {
      known = provisional(add, node);
      if (known == null) {
        return CniMessage.Ack.failure(
            "pod " + add.uid() + ": field ips: " + add.ips() + " are not IP addresses");
      }
      LOG.info("pod {} not in the mesh state yet: served as {}", add.uid(), known.identity());
    }
    Workload workload = known;
    if (workload == null || !node.equals(workload.node())) {
      String why = "unknown pod " + add.uid() + ": not a workload on node " + node;
      LOG.warn("CNI add refused: {}", why);
      return CniMessage.Ack.failure(why);
    }
    Netns netns;
    try {
      netns = Netns.open(Path.of(add.netns()));
    } catch (IOException | RuntimeException e) {
      String why =
          "pod " + add.uid() + ": field netns: cannot open " + add.netns() + ": " + e.getMessage();
      LOG.warn("CNI add refused: {}", why);
      return CniMessage.Ack.failure(why);
    }
    PodListeners old = pods.remove(add.uid());
    if (old != null) {
      LOG.info("pod {} re-added: replacing its listeners", add.uid());
      // The ports must be free before the new listeners bind; old connections drain meanwhile.
      retire(old);
    }
    String uid = add.uid();
    PodSockets sockets =
        new PodSockets("pod:" + uid + "#" + generation.incrementAndGet(), netns, proxy.transport());
    PodListeners pod =
        new PodListeners(workload, sockets, proxy, () -> currentWorkload(uid, workload));
    try {
      pod.start(BIND_TIMEOUT);
    } catch (Exception e) {
      String why =
          "pod " + uid + ": cannot open listeners in " + add.netns() + ": " + rootMessage(e);
      LOG.warn("CNI add failed: {}", why);
      return CniMessage.Ack.failure(why);
    }
    pods.put(uid, pod);
    LOG.info(
        "pod {} ({}) served in netns {}: 15001, 15006, {} on 0.0.0.0",
        uid,
        workload.identity(),
        add.netns(),
        proxy.settings().hbonePort());
    return CniMessage.Ack.success();
  }

  /**
   * Follows the mesh state: a served pod whose identity changed gets new listeners (its HBONE
   * listener must present the new certificate), in the same namespace. A pod that is no longer a
   * workload here keeps its listeners until the CNI step deletes it; inbound admission refuses
   * traffic to it meanwhile, since the dispatcher checks the current state.
   */
  private synchronized void follow(MeshState snapshot) {
    if (closed) {
      return;
    }
    String node = proxy.settings().nodeName();
    for (PodListeners pod : List.copyOf(pods.values())) {
      Workload now = snapshot.workloadByUid(pod.uid);
      if (now == null && trustDomain != null) {
        continue; // not published yet (or already gone): the CNI step decides
      }
      if (now == null || !node.equals(now.node())) {
        LOG.warn(
            "pod {} is no longer a workload on node {}: its listeners stay until the CNI step"
                + " deletes it",
            pod.uid,
            node);
        continue;
      }
      if (now.identity().equals(pod.workload.identity())) {
        continue;
      }
      LOG.info(
          "pod {} identity changed {} -> {}: reopening its listeners",
          pod.uid,
          pod.workload.identity(),
          now.identity());
      Netns again;
      try {
        again = pod.sockets.netns().duplicate();
      } catch (IOException e) {
        LOG.warn(
            "pod {}: cannot reopen its netns after an identity change, old listeners kept: {}",
            pod.uid,
            e.getMessage());
        continue;
      }
      pods.remove(pod.uid);
      retire(pod);
      PodListeners next =
          new PodListeners(
              now,
              new PodSockets(
                  "pod:" + pod.uid + "#" + generation.incrementAndGet(), again, proxy.transport()),
              proxy,
              () -> currentWorkload(pod.uid, now));
      try {
        next.start(BIND_TIMEOUT);
        pods.put(pod.uid, next);
      } catch (Exception e) {
        LOG.warn(
            "pod {}: cannot reopen its listeners after an identity change, no longer served: {}",
            pod.uid,
            rootMessage(e));
      }
    }
  }

  /** Stops serving a pod: listeners close now, connections drain. Unknown uids are a no-op. */
  public synchronized CniMessage.Ack delete(String uid) {
    PodListeners pod = pods.remove(uid);
    if (pod == null) {
      LOG.info("CNI del for {}: not served, nothing to do", uid);
      return CniMessage.Ack.success();
    }
    LOG.info(
        "pod {} removed: closing its listeners, draining {} connections",
        uid,
        pod.liveConnections());
    retire(pod);
    return CniMessage.Ack.success();
  }

  /** After a snapshot: pods not re-sent on this connection are gone. */
  public synchronized CniMessage.Ack retainOnly(Set<String> sent) {
    List<String> gone = new ArrayList<>();
    for (String uid : pods.keySet()) {
      if (!sent.contains(uid)) {
        gone.add(uid);
      }
    }
    for (String uid : gone) {
      LOG.info("pod {} not in the CNI snapshot: removing it", uid);
      retire(pods.remove(uid));
    }
    return CniMessage.Ack.success();
  }

  /** Completes when every pod removed so far has been fully closed. */
  public CompletableFuture<Void> awaitRemoved() {
    return CompletableFuture.allOf(draining.toArray(CompletableFuture[]::new));
  }

  /** SIGTERM: drains every pod, up to {@code deadline}. */
  public CompletableFuture<Void> drain(Duration deadline) {
    List<CompletableFuture<?>> all = new ArrayList<>();
    synchronized (this) {
      closed = true;
      for (PodListeners p : pods.values()) {
        all.add(p.drain(deadline));
      }
      pods.clear();
      all.addAll(draining);
    }
    return CompletableFuture.allOf(all.toArray(CompletableFuture[]::new));
  }

  @Override
  public void close() {
    try {
      drain(Duration.ZERO).get(5, TimeUnit.SECONDS);
    } catch (Exception e) {
      LOG.warn("in-pod listeners did not close cleanly: {}", rootMessage(e));
    }
  }

  private void retire(PodListeners pod) {
    // Free the ports synchronously (a re-add binds the same ones right after); the drain goes on.
    try {
      pod.stopAccepting().get(BIND_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (Exception e) {
      LOG.warn("pod {}: listeners did not stop cleanly: {}", pod.uid, rootMessage(e));
    }
    CompletableFuture<Void> done = pod.drain(drainTimeout);
    draining.add(done);
    done.whenComplete((v, t) -> forget(done));
  }

  private void forget(CompletableFuture<Void> done) {
    draining.remove(done);
  }

  /** The workload as the CNI step describes it, until discovery delivers the real one. */
  private Workload provisional(CniMessage.AddPod add, String node) {
    List<java.net.InetAddress> addresses = new ArrayList<>();
    for (String ip : add.ips()) {
      // Only literals: a name here must never turn into a DNS lookup.
      if (!ip.matches("[0-9a-fA-F.:]+")) {
        return null;
      }
      try {
        addresses.add(java.net.InetAddress.getByName(ip));
      } catch (java.net.UnknownHostException e) {
        return null;
      }
    }
    return new Workload(
        add.uid(),
        add.name(),
        add.namespace(),
        add.serviceAccount(),
        node,
        trustDomain,
        addresses,
        dev.ambient.api.model.TunnelProtocol.HBONE,
        null,
        null,
        null,
        Map.of());
  }

  private Workload currentWorkload(String uid, Workload fallback) {
    Workload w = proxy.state().current().workloadByUid(uid);
    return w != null ? w : fallback;
  }

  static String rootMessage(Throwable t) {
    Throwable c = t;
    while (c.getCause() != null && c.getCause() != c) {
      c = c.getCause();
    }
    return c.getMessage() == null ? c.getClass().getSimpleName() : c.getMessage();
  }
}
