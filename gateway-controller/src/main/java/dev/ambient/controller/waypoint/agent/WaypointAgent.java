package dev.ambient.controller.waypoint.agent;

import dev.ambient.controller.waypoint.process.WaypointProcess;
import dev.ambient.ztunnel.identity.CaClient;
import dev.ambient.ztunnel.identity.CaClientConfig;
import dev.ambient.ztunnel.identity.CertificateFetcher;
import dev.ambient.ztunnel.identity.WorkloadCertificate;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What runs in a waypoint pod ({@code mesh waypoint run}), Istio's pilot-agent for our waypoint:
 *
 * <ol>
 *   <li>makes an EC P-256 key in memory and asks the controller's CA for the pod's certificate
 *       (CSR, bearer = the projected token; the CA's certificate checked against {@code
 *       --ca-root}), renewing it at half-life ({@link CertificateRenewer});
 *   <li>serves it to Envoy over SDS on a unix socket in its private work directory ({@link
 *       AgentSdsServer}): the key goes to Envoy and nowhere else, never to disk;
 *   <li>writes Envoy's bootstrap ({@link AgentBootstrap}) and keeps Envoy running ({@link
 *       EnvoySupervisor});
 *   <li>answers the kubelet's readiness probe on 15021 from Envoy's own {@code /ready} ({@link
 *       ReadinessServer}).
 * </ol>
 *
 * {@link #close} stops Envoy first, then everything else, and removes the work directory when the
 * agent made it.
 */
public final class WaypointAgent implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(WaypointAgent.class);

  private final AgentSettings settings;
  private final Path workDir;
  private final boolean ownWorkDir;
  private final List<AutoCloseable> opened = new ArrayList<>();
  private final CountDownLatch closedLatch = new CountDownLatch(1);
  private AgentSdsServer sds;
  private CertificateRenewer renewer;
  private EnvoySupervisor envoy;
  private ReadinessServer readiness;
  private boolean closed;

  private WaypointAgent(AgentSettings settings, Path workDir, boolean ownWorkDir) {
    this.settings = settings;
    this.workDir = workDir;
    this.ownWorkDir = ownWorkDir;
  }

  /** Starts with the real CA client ({@code --controller-address}, {@code --ca-root}). */
  public static WaypointAgent start(AgentSettings settings) throws IOException {
    CaClient ca =
        CaClient.create(
            new CaClientConfig(
                settings.controllerHost(),
                settings.controllerPort(),
                settings.caRoot(),
                settings.tokenFile(),
                settings.trustDomain(),
                settings.certificateTtl(),
                null));
    try {
      return start(settings, ca, ca, Clock.systemUTC());
    } catch (IOException | RuntimeException e) {
      ca.close();
      throw e;
    }
  }

  /**
   * Starts with a given certificate source (tests use the CA client too; the parameter exists so
   * the agent owns what it is given).
   *
   * @param owned closed with the agent (may be null)
   */
  static WaypointAgent start(
      AgentSettings settings, CertificateFetcher fetcher, AutoCloseable owned, Clock clock)
      throws IOException {
    boolean own = settings.workDir() == null;
    Path dir = own ? Files.createTempDirectory("ambient-waypoint-") : settings.workDir();
    WaypointAgent agent = new WaypointAgent(settings, dir, own);
    if (owned != null) {
      agent.opened.add(owned);
    }
    try {
      agent.startAll(fetcher, clock);
      return agent;
    } catch (IOException | RuntimeException e) {
      agent.close();
      throw e;
    }
  }

  private void startAll(CertificateFetcher fetcher, Clock clock) throws IOException {
    PrivateDirectory.prepare(workDir);
    sds = AgentSdsServer.start(workDir.resolve("sds.sock"));
    renewer = new CertificateRenewer(fetcher, settings.identity(), sds::update, clock);
    renewer.start();
    envoy = new EnvoySupervisor(settings.nodeId(), this::startEnvoy);
    envoy.start();
    readiness = new ReadinessServer(settings.readinessListen(), envoy::adminAddress);
    LOG.info(
        "waypoint agent for {} (pod {}/{}, identity {}): controller {}:{}, work dir {}, readiness"
            + " on {}",
        settings.nodeId(),
        settings.podNamespace(),
        settings.podName() == null ? "-" : settings.podName(),
        settings.identity(),
        settings.controllerHost(),
        settings.controllerPort(),
        workDir,
        readiness.address());
  }

  /** One Envoy run; its ADS stream is authenticated by the certificate the agent serves it. */
  private WaypointProcess startEnvoy() throws IOException {
    String bootstrap =
        AgentBootstrap.json(
            AgentBootstrap.build(
                settings.nodeId(),
                settings.controllerHost(),
                settings.controllerPort(),
                settings.controllerIdentity(),
                settings.caRoot(),
                sds.socket()));
    return WaypointProcess.start(settings.envoyBinary(), workDir, settings.nodeId(), bootstrap);
  }

  public Path workDir() {
    return workDir;
  }

  /** Where {@code /healthz/ready} is served. */
  public InetSocketAddress readinessAddress() {
    return readiness.address();
  }

  /** Envoy's admin address (loopback), or null while Envoy is not running. */
  public InetSocketAddress envoyAdmin() {
    return envoy == null ? null : envoy.adminAddress();
  }

  /** The running Envoy, or null between restarts. */
  public WaypointProcess envoy() {
    return envoy == null ? null : envoy.current();
  }

  /** How many times Envoy has been started. */
  public int envoyStarts() {
    return envoy == null ? 0 : envoy.starts();
  }

  /** The certificate being served, or null before the first one arrived. */
  public WorkloadCertificate certificate() {
    return renewer == null ? null : renewer.current();
  }

  public boolean isReady() {
    return readiness != null && renewer.hasValidCertificate() && readiness.envoyReady();
  }

  /** Blocks until {@link #close} ran (the command's main thread waits here). */
  public void awaitClosed() throws InterruptedException {
    closedLatch.await();
  }

  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    // Envoy first: it must not outlive its SDS server and be left serving with a stale identity.
    closeQuietly(envoy);
    closeQuietly(readiness);
    closeQuietly(renewer);
    closeQuietly(sds);
    for (AutoCloseable c : opened) {
      closeQuietly(c);
    }
    if (ownWorkDir) {
      deleteTree(workDir);
    }
    LOG.info("waypoint agent for {} stopped", settings.nodeId());
    closedLatch.countDown();
  }

  private static void closeQuietly(AutoCloseable c) {
    if (c == null) {
      return;
    }
    try {
      c.close();
    } catch (Exception e) {
      LOG.warn("closing {}: {}", c.getClass().getSimpleName(), e.toString());
    }
  }

  private static void deleteTree(Path dir) {
    if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    try (Stream<Path> all = Files.walk(dir)) {
      for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    } catch (IOException e) {
      LOG.warn("work directory {} not fully removed: {}", dir, e.getMessage());
    }
  }

  /** The work directory must be the agent user's alone: it holds the SDS socket and the token. */
  static final class PrivateDirectory {
    private PrivateDirectory() {}

    static void prepare(Path dir) throws IOException {
      if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
        Files.createDirectories(
            dir,
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
      }
      if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
        throw new IOException("--work-dir " + dir + ": not a directory");
      }
      String me = System.getProperty("user.name");
      String owner = Files.getOwner(dir, LinkOption.NOFOLLOW_LINKS).getName();
      if (!owner.equals(me)) {
        throw new IOException(
            "--work-dir " + dir + ": owned by " + owner + ", not by this agent's user " + me);
      }
      Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
    }
  }
}
