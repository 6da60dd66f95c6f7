package dev.ambient.controller.server;

import dev.ambient.controller.ca.CaServer;
import dev.ambient.controller.ca.CallerAuthenticator;
import dev.ambient.controller.ca.CertificateAuthority;
import dev.ambient.controller.ca.NodeAuthorizer;
import dev.ambient.controller.waypoint.xds.WaypointDiscovery;
import dev.ambient.controller.xds.DeltaAdsService;
import dev.ambient.controller.xds.MeshSnapshotFeed;
import dev.ambient.controller.xds.PlaintextXdsServer;
import dev.ambient.controller.xds.SnapshotSource;
import dev.ambient.controller.xds.WdsSnapshotHolder;
import java.net.InetSocketAddress;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * The control plane in one process: a snapshot source feeding workload discovery, and the CA, both
 * on one TLS gRPC port (as istiod's 15012), plus plaintext discovery (15010) when asked for. The CA
 * authorizes certificate requests against the same live snapshot the discovery server serves.
 */
public final class ControllerServer implements AutoCloseable {

  /**
   * @param listen the TLS port (CA and discovery)
   * @param plaintext the plaintext discovery port, or null for none
   */
  public record Settings(InetSocketAddress listen, InetSocketAddress plaintext) {
    public Settings {
      Objects.requireNonNull(listen, "listen");
    }
  }

  private final SnapshotSource source;
  private final WdsSnapshotHolder snapshots = new WdsSnapshotHolder();
  private final ExecutorService pushes;
  private DeltaAdsService ads;
  private CaServer tls;
  private PlaintextXdsServer plain;

  private ControllerServer(SnapshotSource source) {
    this.source = source;
    this.pushes =
        Executors.newSingleThreadExecutor(
            r -> {
              Thread t = new Thread(r, "wds-push");
              t.setDaemon(true);
              return t;
            });
  }

  /**
   * Starts everything or nothing. The source is owned from here on: it is closed with the server
   * (or at once if starting fails).
   */
  public static ControllerServer start(
      Settings settings,
      SnapshotSource source,
      CertificateAuthority ca,
      CallerAuthenticator authenticator)
      throws Exception {
    return start(settings, source, ca, authenticator, null);
  }

  /**
   * As {@link #start(Settings, SnapshotSource, CertificateAuthority, CallerAuthenticator)}, also
   * serving the waypoint ADS (state-of-the-world, for waypoint pods' Envoys) on the TLS port beside
   * workload discovery (delta). The caller owns {@code waypoints} (may be null: none).
   */
  public static ControllerServer start(
      Settings settings,
      SnapshotSource source,
      CertificateAuthority ca,
      CallerAuthenticator authenticator,
      WaypointDiscovery waypoints)
      throws Exception {
    ControllerServer server = new ControllerServer(source);
    try {
      server.startAll(settings, ca, authenticator, waypoints);
      return server;
    } catch (Exception e) {
      server.close();
      throw e;
    }
  }

  private void startAll(
      Settings settings,
      CertificateAuthority ca,
      CallerAuthenticator authenticator,
      WaypointDiscovery waypoints)
      throws Exception {
    MeshSnapshotFeed.connect(source, snapshots);
    ads = new DeltaAdsService(snapshots, pushes);
    tls = new CaServer(settings.listen(), ca, new NodeAuthorizer(source::current), authenticator);
    tls.addService(
        waypoints == null
            ? ads.bindService()
            : new CombinedAdsService(waypoints.service(), ads).bindService());
    tls.start();
    if (settings.plaintext() != null) {
      plain =
          PlaintextXdsServer.start(settings.plaintext(), ads.authenticated(tls.authInterceptor()));
    }
  }

  /** The snapshots discovery serves (tests publish hand-made ones here). */
  public WdsSnapshotHolder snapshots() {
    return snapshots;
  }

  public SnapshotSource source() {
    return source;
  }

  public CaServer tlsServer() {
    return tls;
  }

  /** The TLS port (CA and discovery). */
  public int port() {
    return tls.port();
  }

  /** The plaintext discovery port, or -1 when not serving plaintext. */
  public int plaintextPort() {
    return plain == null ? -1 : plain.port();
  }

  /** Blocks until the TLS server terminates (for the CLI). */
  public void awaitTermination() throws InterruptedException {
    tls.awaitTermination();
  }

  @Override
  public void close() {
    if (ads != null) {
      ads.closeStreams();
    }
    if (plain != null) {
      plain.close();
    }
    if (tls != null) {
      tls.close();
    }
    pushes.shutdownNow();
    try {
      pushes.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    source.close();
  }
}
