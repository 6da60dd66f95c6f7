package dev.ambient.ztunnel.tls;

import dev.ambient.ztunnel.identity.WorkloadCertificate;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.ApplicationProtocolConfig.Protocol;
import io.netty.handler.ssl.ApplicationProtocolConfig.SelectedListenerFailureBehavior;
import io.netty.handler.ssl.ApplicationProtocolConfig.SelectorFailureBehavior;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import javax.net.ssl.SSLException;

/**
 * Builds and caches the mTLS contexts of the HBONE data path: TLS 1.3 only, ALPN {@code h2} only,
 * peers verified by {@link SpiffeTrustManager}. Building a context costs a key conversion and
 * native setup, so contexts are kept per certificate and dropped once the certificate expires.
 */
public final class TlsContexts {
  public static final String TLS_V13 = "TLSv1.3";
  private static final int MAX_CACHED = 4096;

  private static final ApplicationProtocolConfig ALPN_H2 =
      new ApplicationProtocolConfig(
          Protocol.ALPN,
          SelectorFailureBehavior.NO_ADVERTISE,
          SelectedListenerFailureBehavior.ACCEPT,
          ApplicationProtocolNames.HTTP_2);

  private final SslProvider provider;
  private final Map<WorkloadCertificate, SslContext> servers = new ConcurrentHashMap<>();
  private final Map<WorkloadCertificate, SslContext> clients = new ConcurrentHashMap<>();

  public TlsContexts() {
    this(OpenSsl.isAvailable() ? SslProvider.OPENSSL : SslProvider.JDK);
  }

  public TlsContexts(SslProvider provider) {
    this.provider = provider;
  }

  public SslProvider provider() {
    return provider;
  }

  /** The server context presenting the certificate and requiring a mesh client certificate. */
  public SslContext server(WorkloadCertificate cert) throws SSLException {
    SslContext ctx = servers.get(cert);
    if (ctx == null) {
      evictExpired(servers);
      ctx = buildServer(cert);
      SslContext raced = servers.putIfAbsent(cert, ctx);
      ctx = raced != null ? raced : ctx;
    }
    return ctx;
  }

  /** The client context presenting the certificate; the server is checked against our roots. */
  public SslContext client(WorkloadCertificate cert) throws SSLException {
    SslContext ctx = clients.get(cert);
    if (ctx == null) {
      evictExpired(clients);
      ctx = buildClient(cert);
      SslContext raced = clients.putIfAbsent(cert, ctx);
      ctx = raced != null ? raced : ctx;
    }
    return ctx;
  }

  private SslContext buildServer(WorkloadCertificate cert) throws SSLException {
    return SslContextBuilder.forServer(cert.privateKey(), chain(cert))
        .sslProvider(provider)
        .protocols(TLS_V13)
        .clientAuth(ClientAuth.REQUIRE)
        .trustManager(trustManager(cert))
        .applicationProtocolConfig(ALPN_H2)
        .build();
  }

  private SslContext buildClient(WorkloadCertificate cert) throws SSLException {
    return SslContextBuilder.forClient()
        .sslProvider(provider)
        .keyManager(cert.privateKey(), chain(cert))
        .protocols(TLS_V13)
        .trustManager(trustManager(cert))
        // Mesh peers are named by SPIFFE ID, checked after the handshake, never by hostname.
        .endpointIdentificationAlgorithm(null)
        .applicationProtocolConfig(ALPN_H2)
        .build();
  }

  private static SpiffeTrustManager trustManager(WorkloadCertificate cert) {
    return new SpiffeTrustManager(cert.trustedRoots(), cert.identity().trustDomain());
  }

  private static X509Certificate[] chain(WorkloadCertificate cert) {
    return cert.chain().toArray(new X509Certificate[0]);
  }

  private static void evictExpired(Map<WorkloadCertificate, SslContext> cache) {
    Instant now = Instant.now();
    cache.keySet().removeIf(c -> !now.isBefore(c.notAfter()));
    if (cache.size() >= MAX_CACHED) {
      // Only reachable with a pathological number of identities; rebuilding is correct, just slow.
      cache.clear();
    }
  }
}
