package dev.ambient.ztunnel.identity;

import dev.ambient.api.ca.v1.IstioCertificateRequest;
import dev.ambient.api.ca.v1.IstioCertificateResponse;
import dev.ambient.api.ca.v1.IstioCertificateServiceGrpc;
import dev.ambient.api.spiffe.SpiffeId;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.attribute.FileTime;
import java.security.GeneralSecurityException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Date;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Talks to the CA ({@code istio.v1.auth.IstioCertificateService/CreateCertificate}) over TLS 1.3:
 * makes a key and CSR per request, sends the node's bootstrap token, and checks what comes back
 * before handing it out: the leaf names the identity we asked for, carries our key and chains to
 * the bundle the CA sent.
 */
public final class CaClient implements CertificateFetcher, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(CaClient.class);
  private static final Metadata.Key<String> AUTHORIZATION =
      Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

  private final CaClientConfig config;
  private final ManagedChannel channel;
  private final IstioCertificateServiceGrpc.IstioCertificateServiceStub stub;
  private final CaServerTrustManager trust;
  private FileTime rootFileTime;

  private CaClient(
      CaClientConfig config,
      ManagedChannel channel,
      CaServerTrustManager trust,
      FileTime rootFileTime) {
    this.config = config;
    this.channel = channel;
    this.stub = IstioCertificateServiceGrpc.newStub(channel);
    this.trust = trust;
    this.rootFileTime = rootFileTime;
  }

  /**
   * Reads the root file and opens a (lazily connecting) channel.
   *
   * @throws IOException if the root file cannot be read or holds no certificate
   */
  public static CaClient create(CaClientConfig config) throws IOException {
    FileTime rootTime = Files.getLastModifiedTime(config.rootCertFile());
    CaServerTrustManager trust =
        new CaServerTrustManager(readRoots(config), config.host(), config.istiodIdentity().uri());
    SslContext ssl;
    try {
      ssl =
          GrpcSslContexts.configure(SslContextBuilder.forClient().trustManager(trust))
              .protocols("TLSv1.3")
              .build();
    } catch (SSLException e) {
      throw new IOException("CA client TLS setup failed: " + e.getMessage(), e);
    }
    ManagedChannel channel =
        NettyChannelBuilder.forAddress(config.host(), config.port()).sslContext(ssl).build();
    return new CaClient(config, channel, trust, rootTime);
  }

  private static List<X509Certificate> readRoots(CaClientConfig config) throws IOException {
    try {
      return Pem.parseCertificates(
          "CA root file " + config.rootCertFile(),
          Files.readString(config.rootCertFile(), StandardCharsets.US_ASCII));
    } catch (IllegalArgumentException e) {
      throw new IOException(e.getMessage(), e);
    }
  }

  /** Re-reads the root file if it changed (here, on the fetching thread, never in a handshake). */
  private synchronized void refreshRoots() {
    try {
      FileTime t = Files.getLastModifiedTime(config.rootCertFile());
      if (!t.equals(rootFileTime)) {
        trust.setConfigured(readRoots(config));
        rootFileTime = t;
        log.info("CA root file {} reloaded", config.rootCertFile());
      }
    } catch (IOException e) {
      log.warn(
          "CA root file {} not reloaded, keeping the loaded roots: {}",
          config.rootCertFile(),
          e.getMessage());
    }
  }

  @Override
  public CompletableFuture<WorkloadCertificate> fetch(SpiffeId identity) {
    CompletableFuture<WorkloadCertificate> result = new CompletableFuture<>();
    refreshRoots();
    String token;
    try {
      token = Files.readString(config.tokenFile(), StandardCharsets.US_ASCII).strip();
    } catch (IOException e) {
      result.completeExceptionally(
          new CaRequestException(
              Status.Code.UNAUTHENTICATED,
              "CA token file " + config.tokenFile() + ": cannot read: " + e.getMessage()));
      return result;
    }
    if (token.isEmpty() || !token.chars().allMatch(c -> c > 0x20 && c < 0x7f)) {
      result.completeExceptionally(
          new CaRequestException(
              Status.Code.UNAUTHENTICATED,
              "CA token file " + config.tokenFile() + ": empty or not a printable token"));
      return result;
    }
    CsrFactory.KeyAndCsr keyAndCsr = CsrFactory.create(identity);
    Metadata headers = new Metadata();
    headers.put(AUTHORIZATION, "Bearer " + token);
    IstioCertificateRequest request =
        IstioCertificateRequest.newBuilder()
            .setCsr(keyAndCsr.csrPem())
            .setValidityDuration(config.requestedTtl().getSeconds())
            .build();
    stub.withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers))
        .withDeadlineAfter(config.callTimeout().toMillis(), TimeUnit.MILLISECONDS)
        .createCertificate(
            request,
            new StreamObserver<>() {
              @Override
              public void onNext(IstioCertificateResponse response) {
                try {
                  WorkloadCertificate cert = accept(identity, keyAndCsr, response);
                  trust.learn(cert.trustedRoots());
                  result.complete(cert);
                } catch (CaRequestException e) {
                  log.warn("CA answer for {} rejected: {}", identity, e.getMessage());
                  result.completeExceptionally(e);
                }
              }

              @Override
              public void onError(Throwable t) {
                Status s = Status.fromThrowable(t);
                result.completeExceptionally(
                    new CaRequestException(
                        s.getCode(),
                        "CA refused certificate for "
                            + identity
                            + ": "
                            + s.getCode()
                            + (s.getDescription() == null ? "" : ": " + s.getDescription()),
                        t instanceof StatusRuntimeException ? null : t));
              }

              @Override
              public void onCompleted() {
                if (!result.isDone()) {
                  result.completeExceptionally(
                      new CaRequestException(
                          Status.Code.INTERNAL, "CA answered with no response for " + identity));
                }
              }
            });
    return result;
  }

  /** Checks the CA's answer and builds the certificate; never trusts it blindly. */
  static WorkloadCertificate accept(
      SpiffeId identity, CsrFactory.KeyAndCsr keyAndCsr, IstioCertificateResponse response)
      throws CaRequestException {
    List<String> elements = response.getCertChainList();
    if (elements.size() < 2) {
      throw invalid(
          "cert_chain has " + elements.size() + " element(s), need a leaf and a trust bundle");
    }
    List<X509Certificate> chain = new ArrayList<>();
    List<X509Certificate> roots;
    try {
      for (int i = 0; i < elements.size() - 1; i++) {
        chain.addAll(Pem.parseCertificates("cert_chain[" + i + "]", elements.get(i)));
      }
      roots =
          Pem.parseCertificates(
              "cert_chain[" + (elements.size() - 1) + "] (trust bundle)",
              elements.get(elements.size() - 1));
    } catch (IllegalArgumentException e) {
      throw invalid(e.getMessage());
    }
    X509Certificate leaf = chain.get(0);
    List<String> uris = CertificateNames.of(leaf, CertificateNames.URI);
    if (!uris.equals(List.of(identity.uri()))) {
      throw invalid("leaf URI SANs " + uris + " are not exactly [" + identity.uri() + "]");
    }
    if (!Arrays.equals(
        leaf.getPublicKey().getEncoded(), keyAndCsr.keyPair().getPublic().getEncoded())) {
      throw invalid("leaf public key is not the key of our request");
    }
    try {
      ChainVerifier.verify(chain, roots, new Date());
    } catch (GeneralSecurityException e) {
      throw invalid("leaf does not chain to the trust bundle: " + e.getMessage());
    }
    return new WorkloadCertificate(identity, keyAndCsr.keyPair().getPrivate(), chain, roots);
  }

  private static CaRequestException invalid(String why) {
    return new CaRequestException(Status.Code.INTERNAL, "CA response: " + why);
  }

  @Override
  public void close() {
    channel.shutdown();
    try {
      if (!channel.awaitTermination(5, TimeUnit.SECONDS)) {
        channel.shutdownNow();
      }
    } catch (InterruptedException e) {
      channel.shutdownNow();
      Thread.currentThread().interrupt();
    }
  }
}
