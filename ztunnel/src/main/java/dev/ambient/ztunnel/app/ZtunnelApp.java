package dev.ambient.ztunnel.app;

import dev.ambient.api.model.MeshState;
import dev.ambient.api.model.Workload;
import dev.ambient.api.spiffe.SpiffeId;
import dev.ambient.ztunnel.admin.AdminServer;
import dev.ambient.ztunnel.authz.L4Authorizer;
import dev.ambient.ztunnel.config.ConfigWatcher;
import dev.ambient.ztunnel.identity.CaClient;
import dev.ambient.ztunnel.identity.CaClientConfig;
import dev.ambient.ztunnel.identity.CertificateManager;
import dev.ambient.ztunnel.inpod.InPodManager;
import dev.ambient.ztunnel.inpod.InPodServer;
import dev.ambient.ztunnel.metrics.PrometheusTcpMetrics;
import dev.ambient.ztunnel.proxy.ProxyListeners;
import dev.ambient.ztunnel.proxy.ProxySettings;
import dev.ambient.ztunnel.relay.NetTransport;
import dev.ambient.ztunnel.state.StateHolder;
import dev.ambient.ztunnel.xds.WdsClient;
import dev.ambient.ztunnel.xds.WdsClientConfig;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One ztunnel process: config from a file or from workload discovery, certificates from the CA, the
 * data-path listeners, and the admin, metrics and readiness endpoints. Ready once the listeners are
 * bound and every local workload holds a certificate.
 */
public final class ZtunnelApp implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ZtunnelApp.class);

  /**
   * Everything a ztunnel needs to start.
   *
   * @param inpodSocket the unix socket on which the CNI step hands pods over; non-null switches on
   *     in-pod mode (local pods are served from listeners inside their own netns, not from
   *     per-workload HBONE listeners in ztunnel's)
   * @param podDrainTimeout how long a removed pod's connections may finish
   * @param config the mesh YAML file; null when {@code xdsAddress} is set
   * @param xdsAddress the workload discovery server, which then replaces the file as the source of
   *     workloads, services and policies (talked to with the CA's root file and node token)
   * @param xdsPlaintext talk to {@code xdsAddress} without TLS (a development server on 15010)
   */
  public record Settings(
      Path config,
      String node,
      String trustDomain,
      InetSocketAddress caAddress,
      Path caRoot,
      Path caTokenFile,
      Duration certificateTtl,
      InetSocketAddress socks,
      InetSocketAddress admin,
      InetSocketAddress metrics,
      InetSocketAddress readiness,
      int hbonePort,
      int workerThreads,
      Path inpodSocket,
      Duration podDrainTimeout,
      InetSocketAddress xdsAddress,
      boolean xdsPlaintext) {

    /** Config from the file. */
    public Settings(
        Path config,
        String node,
        String trustDomain,
        InetSocketAddress caAddress,
        Path caRoot,
        Path caTokenFile,
        Duration certificateTtl,
        InetSocketAddress socks,
        InetSocketAddress admin,
        InetSocketAddress metrics,
        InetSocketAddress readiness,
        int hbonePort,
        int workerThreads,
        Path inpodSocket,
        Duration podDrainTimeout) {
      this(
          config,
          node,
          trustDomain,
          caAddress,
          caRoot,
          caTokenFile,
          certificateTtl,
          socks,
          admin,
          metrics,
          readiness,
          hbonePort,
          workerThreads,
          inpodSocket,
          podDrainTimeout,
          null,
          false);
    }

    /** Explicit mode (SOCKS5, host-netns HBONE listeners), no in-pod capture. */
    public Settings(
        Path config,
        String node,
        String trustDomain,
        InetSocketAddress caAddress,
        Path caRoot,
        Path caTokenFile,
        Duration certificateTtl,
        InetSocketAddress socks,
        InetSocketAddress admin,
        InetSocketAddress metrics,
        InetSocketAddress readiness,
        int hbonePort,
        int workerThreads) {
      this(
          config,
          node,
          trustDomain,
          caAddress,
          caRoot,
          caTokenFile,
          certificateTtl,
          socks,
          admin,
          metrics,
          readiness,
          hbonePort,
          workerThreads,
          null,
          null);
    }

    public Settings {
      podDrainTimeout = podDrainTimeout == null ? Duration.ofSeconds(5) : podDrainTimeout;
      if ((config == null) == (xdsAddress == null)) {
        throw new IllegalArgumentException(
            "exactly one source of mesh config: a config file or an xDS address");
      }
    }

    /** The same settings with workload discovery instead of the file. */
    public Settings withXds(InetSocketAddress address, boolean plaintext) {
      return new Settings(
          null,
          node,
          trustDomain,
          caAddress,
          caRoot,
          caTokenFile,
          certificateTtl,
          socks,
          admin,
          metrics,
          readiness,
          hbonePort,
          workerThreads,
          inpodSocket,
          podDrainTimeout,
          address,
          plaintext);
    }

    public boolean inPod() {
      return inpodSocket != null;
    }
  }

  private final Settings settings;
  private final StateHolder state = new StateHolder(MeshState.EMPTY);
  private final AtomicBoolean ready = new AtomicBoolean();
  private ConfigWatcher watcher;
  private WdsClient wds;
  private ScheduledExecutorService scheduler;
  private CaClient ca;
  private CertificateManager certificates;
  private NetTransport transport;
  private ProxyListeners listeners;
  private AdminServer admin;
  private InPodManager inPod;
  private InPodServer inPodServer;

  private ZtunnelApp(Settings settings) {
    this.settings = settings;
  }

  /** Starts everything, or fails (having stopped what it started) with the reason. */
  public static ZtunnelApp start(Settings settings) throws Exception {
    ZtunnelApp app = new ZtunnelApp(settings);
    try {
      app.startAll();
      return app;
    } catch (Exception e) {
      app.close();
      throw e;
    }
  }

  private void startAll() throws Exception {
    if (settings.config() != null) {
      watcher = new ConfigWatcher(settings.config(), state);
      MeshState initial = watcher.start();
      LOG.info(
          "config {} version {}: {} workloads ({} on node {}), {} services, {} policies",
          settings.config(),
          initial.version(),
          initial.workloads().size(),
          initial.workloadsOnNode(settings.node()).size(),
          settings.node(),
          initial.services().size(),
          initial.policies().size());
    }

    scheduler =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "certificates");
              t.setDaemon(true);
              return t;
            });
    ca =
        CaClient.create(
            new CaClientConfig(
                settings.caAddress().getHostString(),
                settings.caAddress().getPort(),
                settings.caRoot(),
                settings.caTokenFile(),
                settings.trustDomain(),
                settings.certificateTtl(),
                null));
    certificates =
        new CertificateManager(ca, id -> localIdentities(state.current()).contains(id), scheduler);

    PrometheusTcpMetrics metrics = new PrometheusTcpMetrics();
    transport = NetTransport.create(settings.workerThreads());
    listeners =
        new ProxyListeners(
            new ProxySettings(
                    settings.node(), settings.hbonePort(), settings.socks(), null, null, null, null)
                .withInPod(settings.inPod()),
            state,
            transport,
            certificates,
            new L4Authorizer(),
            metrics);
    admin =
        AdminServer.builder()
            .adminAddress(settings.admin())
            .metricsAddress(settings.metrics())
            .readinessAddress(settings.readiness())
            .state(state::current)
            .certificates(certificates::describe)
            .metrics(metrics::scrape)
            .ready(this::isReady)
            .build();
    admin.start();

    // Certificates follow the config: fetch for workloads that arrive, forget those that left.
    state.onChange(this::prefetchCertificates);
    listeners.start().get(30, TimeUnit.SECONDS);
    if (settings.inPod()) {
      // With discovery from a cluster, pods arrive from the CNI step before they are published.
      inPod =
          new InPodManager(
              listeners,
              settings.podDrainTimeout(),
              settings.xdsAddress() != null ? settings.trustDomain() : null);
      inPodServer = new InPodServer(settings.inpodSocket(), inPod);
      inPodServer.start();
    }
    // Not ready before the mesh config is known: at once from the file, after the first applied
    // response of every type from discovery.
    CompletableFuture<Void> configured;
    if (settings.xdsAddress() != null) {
      wds =
          WdsClient.start(
              new WdsClientConfig(
                  settings.xdsAddress().getHostString(),
                  settings.xdsAddress().getPort(),
                  settings.xdsPlaintext(),
                  settings.caRoot(),
                  settings.caTokenFile(),
                  settings.trustDomain(),
                  settings.node()),
              state,
              null);
      configured = wds.synced();
    } else {
      configured = CompletableFuture.completedFuture(null);
    }
    configured
        .thenCompose(synced -> prefetchCertificates(state.current()))
        .whenComplete(
            (ok, error) -> {
              if (error != null) {
                LOG.warn("not ready: certificates for local workloads: {}", rootMessage(error));
                // Keep trying: the manager retries with backoff; readiness follows the first
                // success.
                prefetchUntilReady();
              } else {
                markReady();
              }
            });
  }

  private void prefetchUntilReady() {
    scheduler.schedule(
        () ->
            prefetchCertificates(state.current())
                .whenComplete(
                    (ok, e) -> {
                      if (e == null) {
                        markReady();
                      } else {
                        prefetchUntilReady();
                      }
                    }),
        2,
        TimeUnit.SECONDS);
  }

  private void markReady() {
    if (ready.compareAndSet(false, true)) {
      LOG.info(
          "ztunnel {} ready: socks5 {}, HBONE listeners {}, in-pod socket {}, admin {}, metrics {},"
              + " readiness {}",
          settings.node(),
          listeners.socksAddress(),
          listeners.hboneListeners().keySet(),
          inPodServer == null ? "-" : inPodServer.path(),
          admin.adminAddress(),
          admin.metricsAddress(),
          admin.readinessAddress());
    }
  }

  private CompletableFuture<Void> prefetchCertificates(MeshState snapshot) {
    Set<SpiffeId> wanted = localIdentities(snapshot);
    certificates.retain(wanted);
    List<CompletableFuture<?>> fetches = new ArrayList<>();
    for (SpiffeId id : wanted) {
      fetches.add(certificates.certificate(id));
    }
    return CompletableFuture.allOf(fetches.toArray(CompletableFuture[]::new));
  }

  private Set<SpiffeId> localIdentities(MeshState snapshot) {
    Set<SpiffeId> ids = new LinkedHashSet<>();
    for (Workload w : snapshot.workloadsOnNode(settings.node())) {
      ids.add(w.identity());
    }
    return ids;
  }

  /**
   * Listeners bound, the mesh config known (discovery synced), local certificates held, and (in-pod
   * mode) the CNI socket listening.
   */
  public boolean isReady() {
    return ready.get() && (inPodServer == null || inPodServer.isListening());
  }

  /** The in-pod manager, or {@code null} outside in-pod mode. */
  public InPodManager inPod() {
    return inPod;
  }

  public StateHolder state() {
    return state;
  }

  /** The discovery client, or {@code null} when config comes from a file. */
  public WdsClient wds() {
    return wds;
  }

  /** SIGTERM: unready, stop accepting, let live connections finish until the deadline. */
  public void drain(Duration deadline) {
    ready.set(false);
    if (inPodServer != null) {
      inPodServer.close();
    }
    CompletableFuture<Void> pods =
        inPod == null ? CompletableFuture.completedFuture(null) : inPod.drain(deadline);
    if (listeners != null) {
      LOG.info("draining for up to {}", deadline);
      try {
        CompletableFuture.allOf(listeners.drain(deadline), pods)
            .get(deadline.toMillis() + 2000, TimeUnit.MILLISECONDS);
      } catch (Exception e) {
        LOG.warn("drain did not finish cleanly: {}", rootMessage(e));
      }
    }
  }

  @Override
  public void close() {
    ready.set(false);
    if (wds != null) {
      wds.close(); // first: no new state while the rest shuts down
    }
    if (admin != null) {
      admin.close();
    }
    if (inPodServer != null) {
      inPodServer.close();
    }
    if (inPod != null) {
      inPod.close();
    }
    if (listeners != null) {
      listeners.close();
    }
    if (transport != null) {
      transport.shutdown();
    }
    if (certificates != null) {
      certificates.close();
    }
    if (ca != null) {
      ca.close();
    }
    if (scheduler != null) {
      scheduler.shutdownNow();
    }
    if (watcher != null) {
      watcher.close();
    }
  }

  static String rootMessage(Throwable t) {
    Throwable c = t;
    while (c.getCause() != null && c.getCause() != c) {
      c = c.getCause();
    }
    return c.getMessage() == null ? c.getClass().getSimpleName() : c.getMessage();
  }
}
