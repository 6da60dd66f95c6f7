package dev.ambient.controller.ca;

import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.NettyServerBuilder;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The CA's gRPC server over TLS 1.3. Its serving certificate comes from the CA itself (DNS SANs
 * localhost and istiod.istio-system.svc, the listen IP, and the istiod SPIFFE ID) and is renewed in
 * the background, following root rotations.
 */
public final class CaServer implements AutoCloseable {
  public static final InetSocketAddress DEFAULT_LISTEN =
      new InetSocketAddress(InetAddress.getLoopbackAddress(), 15012);
  static final List<String> DNS_NAMES = List.of("localhost", "istiod.istio-system.svc");

  /**
   * Large enough for a discovery client's reconnect request, whose initial_resource_versions list
   * every resource it holds (about 100 bytes each); CSRs are far smaller.
   */
  private static final int MAX_MESSAGE_BYTES = 4 * 1024 * 1024;

  private static final Logger log = LoggerFactory.getLogger(CaServer.class);

  private final InetSocketAddress listen;
  private final CertificateAuthority ca;
  private final NodeAuthorizer authorizer;
  private final CallerAuthenticator authenticator;
  private final List<ServerServiceDefinition> extraServices = new ArrayList<>();
  private ServingKeyManager keyManager;
  private ScheduledExecutorService renewer;
  private Server server;

  public CaServer(
      InetSocketAddress listen,
      CertificateAuthority ca,
      NodeAuthorizer authorizer,
      CallerAuthenticator authenticator) {
    this.listen = Objects.requireNonNull(listen, "listen");
    this.ca = Objects.requireNonNull(ca, "ca");
    this.authorizer = Objects.requireNonNull(authorizer, "authorizer");
    this.authenticator = Objects.requireNonNull(authenticator, "authenticator");
  }

  /**
   * Serves another gRPC service on the CA's port and TLS, behind the same caller authentication
   * (the controller puts workload discovery here, as istiod serves xDS and the CA on 15012). Must
   * be called before {@link #start}.
   */
  public synchronized CaServer addService(ServerServiceDefinition service) {
    if (server != null) {
      throw new IllegalStateException("CA server already started");
    }
    extraServices.add(Objects.requireNonNull(service, "service"));
    return this;
  }

  /** The interceptor that authenticates this server's callers. */
  public CallerAuthInterceptor authInterceptor() {
    return new CallerAuthInterceptor(authenticator, ca.trustDomain());
  }

  public synchronized CaServer start() throws IOException {
    if (server != null) {
      throw new IllegalStateException("CA server already started");
    }
    keyManager =
        new ServingKeyManager(ca, DNS_NAMES, servingIps(listen.getAddress()), Clock.systemUTC());
    SslContext ssl =
        GrpcSslContexts.configure(SslContextBuilder.forServer(keyManager))
            .protocols("TLSv1.3")
            // Waypoint Envoys authenticate their configuration stream with their workload
            // certificate; everyone else with a token, without a certificate.
            .trustManager(new CaRootsTrustManager(ca::trustBundle))
            .clientAuth(ClientAuth.OPTIONAL)
            .build();
    NettyServerBuilder builder =
        NettyServerBuilder.forAddress(listen)
            .sslContext(ssl)
            .maxInboundMessageSize(MAX_MESSAGE_BYTES)
            .maxInboundMetadataSize(16 * 1024)
            .maxConcurrentCallsPerConnection(100)
            .addService(
                ServerInterceptors.intercept(new CaGrpcService(ca, authorizer), authInterceptor()));
    for (ServerServiceDefinition extra : extraServices) {
      builder.addService(ServerInterceptors.intercept(extra, authInterceptor()));
    }
    Server s = builder.build();
    try {
      s.start();
    } catch (IOException e) {
      throw new IOException(
          "CA server cannot listen on " + describe(listen) + ": " + e.getMessage(), e);
    }
    server = s;
    renewer =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "ca-serving-cert-renewal");
              t.setDaemon(true);
              return t;
            });
    renewer.scheduleWithFixedDelay(this::renewServingCert, 30, 30, TimeUnit.SECONDS);
    log.info("CA listening on {} (TLS 1.3)", describe(address()));
    return this;
  }

  /** Runs the serving-certificate check now instead of at the next timer tick (tests). */
  void renewServingCertNow() {
    keyManager.renewIfDue();
  }

  private void renewServingCert() {
    try {
      keyManager.renewIfDue();
    } catch (RuntimeException e) {
      log.warn(
          "CA serving certificate renewal failed, keeping the current one: {}", e.getMessage());
    }
  }

  /** The bound port (useful when listening on port 0). */
  public synchronized int port() {
    if (server == null) {
      throw new IllegalStateException("CA server not started");
    }
    return server.getPort();
  }

  public synchronized InetSocketAddress address() {
    return new InetSocketAddress(listen.getAddress(), port());
  }

  /** The serving certificate currently presented (for tests and diagnostics). */
  public X509Certificate servingCertificate() {
    return keyManager.currentLeaf();
  }

  public synchronized void stop() {
    if (server == null) {
      return;
    }
    renewer.shutdownNow();
    server.shutdown();
    try {
      if (!server.awaitTermination(5, TimeUnit.SECONDS)) {
        server.shutdownNow();
      }
    } catch (InterruptedException e) {
      server.shutdownNow();
      Thread.currentThread().interrupt();
    }
    server = null;
  }

  @Override
  public void close() {
    stop();
  }

  /** Blocks until the server terminates (for the CLI). */
  public void awaitTermination() throws InterruptedException {
    Server s;
    synchronized (this) {
      s = server;
    }
    if (s != null) {
      s.awaitTermination();
    }
  }

  private static List<InetAddress> servingIps(InetAddress listen) throws UnknownHostException {
    List<InetAddress> out = new ArrayList<>();
    if (listen.isAnyLocalAddress()) {
      out.add(InetAddress.getByName("127.0.0.1"));
      out.add(InetAddress.getByName("::1"));
    } else {
      out.add(listen);
    }
    return out;
  }

  private static String describe(InetSocketAddress a) {
    String host = a.getAddress().getHostAddress();
    return (a.getAddress() instanceof Inet6Address ? "[" + host + "]" : host) + ":" + a.getPort();
  }
}
