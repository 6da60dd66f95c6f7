package dev.ambient.ztunnel.xds;

import com.google.rpc.Code;
import dev.ambient.api.model.MeshState;
import dev.ambient.api.spiffe.SpiffeId;
import dev.ambient.api.wds.WorkloadProtos;
import dev.ambient.ztunnel.identity.CaServerTrustManager;
import dev.ambient.ztunnel.identity.Pem;
import dev.ambient.ztunnel.state.StateHolder;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.service.discovery.v3.AggregatedDiscoveryServiceGrpc;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryResponse;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.grpc.stub.MetadataUtils;
import io.netty.handler.ssl.SslContextBuilder;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * ztunnel's workload discovery client: one delta ADS stream to the controller, subscribed
 * (wildcard) to {@code istio.security.Authorization} and then {@code istio.workload.Address}.
 *
 * <p>Every response is applied to the mesh state whole or not at all ({@link WdsResourceStore}): if
 * it validates, the new state replaces the old in the {@link StateHolder} and the response is
 * ACKed; otherwise the state is left as it was and the response is NACKed with an {@code
 * error_detail} naming each bad resource and field.
 *
 * <p>When the stream ends the client keeps its state (traffic keeps flowing on the last config) and
 * reconnects with exponential backoff and jitter, sending {@code initial_resource_versions} so the
 * server sends only what changed meanwhile. The backoff resets once a response arrives.
 */
public final class WdsClient implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(WdsClient.class);
  private static final Metadata.Key<String> AUTHORIZATION =
      Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

  /** The subscription order: policies first, so workloads never name a policy not yet held. */
  static final List<String> TYPES =
      List.of(WorkloadProtos.AUTHORIZATION_TYPE_URL, WorkloadProtos.ADDRESS_TYPE_URL);

  /** Observes what the client receives (diagnostics and tests). */
  public interface Listener {
    /**
     * @param rejection null if the response was applied and ACKed, else the NACK's error detail
     */
    void received(DeltaDiscoveryResponse response, String rejection);
  }

  private final WdsClientConfig config;
  private final StateHolder holder;
  private final Listener listener;
  private final ManagedChannel channel;
  private final AggregatedDiscoveryServiceGrpc.AggregatedDiscoveryServiceStub stub;
  private final ScheduledExecutorService scheduler;
  private final WdsResourceStore store = new WdsResourceStore();
  private final CompletableFuture<Void> synced = new CompletableFuture<>();
  private final Set<String> syncedTypes = new HashSet<>();
  private Attempt current;
  private Duration backoff;
  private long stateVersion;
  private long streams;
  private boolean closed;

  private WdsClient(
      WdsClientConfig config, StateHolder holder, Listener listener, ManagedChannel channel) {
    this.config = config;
    this.holder = holder;
    this.listener = listener;
    this.channel = channel;
    this.stub = AggregatedDiscoveryServiceGrpc.newStub(channel);
    this.backoff = config.initialBackoff();
    this.scheduler =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "wds-client");
              t.setDaemon(true);
              return t;
            });
  }

  /**
   * Opens the channel and starts the stream (connecting in the background).
   *
   * @throws IOException if the root file cannot be read or holds no certificate
   */
  public static WdsClient start(WdsClientConfig config, StateHolder holder, Listener listener)
      throws IOException {
    Objects.requireNonNull(holder, "holder");
    NettyChannelBuilder builder = NettyChannelBuilder.forAddress(config.host(), config.port());
    if (config.plaintext()) {
      builder.usePlaintext();
    } else {
      List<java.security.cert.X509Certificate> roots;
      try {
        roots =
            Pem.parseCertificates(
                "xDS root file " + config.rootCertFile(),
                Files.readString(config.rootCertFile(), StandardCharsets.US_ASCII));
      } catch (IllegalArgumentException e) {
        throw new IOException(e.getMessage(), e);
      }
      String istiod = SpiffeId.of(config.trustDomain(), "istio-system", "istiod").uri();
      try {
        builder.sslContext(
            GrpcSslContexts.configure(
                    SslContextBuilder.forClient()
                        .trustManager(new CaServerTrustManager(roots, config.host(), istiod)))
                .protocols("TLSv1.3")
                .build());
      } catch (SSLException e) {
        throw new IOException("xDS client TLS setup failed: " + e.getMessage(), e);
      }
    }
    builder.maxInboundMessageSize(64 * 1024 * 1024);
    WdsClient client =
        new WdsClient(config, holder, listener == null ? (r, e) -> {} : listener, builder.build());
    client.scheduler.execute(client::connect);
    return client;
  }

  /** Completes once a first response of every type has been applied (readiness). */
  public CompletableFuture<Void> synced() {
    return synced;
  }

  /** Whether a stream is open and has answered at least once. */
  public synchronized boolean connected() {
    return current != null && current.answered;
  }

  private synchronized void connect() {
    if (closed) {
      return;
    }
    String token;
    try {
      token = Files.readString(config.tokenFile(), StandardCharsets.US_ASCII).strip();
      if (token.isEmpty() || !token.chars().allMatch(c -> c > 0x20 && c < 0x7f)) {
        throw new IOException("empty or not a printable token");
      }
    } catch (IOException e) {
      log.warn("xDS token file {}: cannot use it: {}", config.tokenFile(), e.getMessage());
      scheduleReconnect();
      return;
    }
    Metadata headers = new Metadata();
    headers.put(AUTHORIZATION, "Bearer " + token);
    Attempt attempt = new Attempt(++streams);
    current = attempt;
    stub.withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers))
        .deltaAggregatedResources(attempt);
    Node node =
        Node.newBuilder().setId(config.node()).setCluster(WorkloadProtos.CLUSTER_ID).build();
    for (String type : TYPES) {
      attempt.send(
          DeltaDiscoveryRequest.newBuilder()
              .setNode(node)
              .setTypeUrl(type)
              .putAllInitialResourceVersions(store.versions(type))
              .build());
    }
    log.info(
        "xDS stream {} to {}:{} ({}): subscribing, holding {} workloads/services and {} policies",
        attempt.id,
        config.host(),
        config.port(),
        config.plaintext() ? "plaintext" : "TLS",
        store.size(WorkloadProtos.ADDRESS_TYPE_URL),
        store.size(WorkloadProtos.AUTHORIZATION_TYPE_URL));
  }

  private synchronized void onResponse(Attempt attempt, DeltaDiscoveryResponse response) {
    if (attempt != current || closed) {
      return;
    }
    attempt.answered = true;
    backoff = config.initialBackoff();
    String type = response.getTypeUrl();
    DeltaDiscoveryRequest.Builder answer =
        DeltaDiscoveryRequest.newBuilder().setTypeUrl(type).setResponseNonce(response.getNonce());
    String rejection = null;
    try {
      MeshState next = store.apply(response, stateVersion + 1);
      stateVersion = next.version();
      try {
        holder.apply(next);
      } catch (RuntimeException e) {
        // The state is in place; a failing listener must not stop discovery.
        log.error("xDS: a state listener failed for state version {}", stateVersion, e);
      }
      log.info(
          "xDS {} nonce {} (server version {}): applied {} resources, removed {}; state version"
              + " {}: {} workloads, {} services, {} policies",
          type,
          response.getNonce(),
          response.getSystemVersionInfo(),
          response.getResourcesCount(),
          response.getRemovedResourcesCount(),
          stateVersion,
          next.workloads().size(),
          next.services().size(),
          next.policies().size());
      if (TYPES.contains(type) && syncedTypes.add(type) && syncedTypes.containsAll(TYPES)) {
        synced.complete(null);
      }
    } catch (WdsResponseException e) {
      rejection = e.getMessage();
      answer.setErrorDetail(
          com.google.rpc.Status.newBuilder()
              .setCode(Code.INVALID_ARGUMENT_VALUE)
              .setMessage(rejection)
              .build());
      log.warn(
          "xDS NACK {} nonce {} (server version {}): keeping state version {}: {}",
          type,
          response.getNonce(),
          response.getSystemVersionInfo(),
          stateVersion,
          rejection);
    }
    attempt.send(answer.build());
    try {
      listener.received(response, rejection);
    } catch (RuntimeException e) {
      log.warn("xDS response listener failed", e);
    }
  }

  private synchronized void onEnded(Attempt attempt, Status status) {
    if (attempt != current) {
      return;
    }
    current = null;
    if (closed) {
      return;
    }
    log.warn(
        "xDS stream {} to {}:{} ended ({}); keeping the last state (version {}), reconnecting",
        attempt.id,
        config.host(),
        config.port(),
        status.getCode() + (status.getDescription() == null ? "" : ": " + status.getDescription()),
        stateVersion);
    scheduleReconnect();
  }

  private void scheduleReconnect() {
    long max = backoff.toMillis();
    long delay = max / 2 + ThreadLocalRandom.current().nextLong(max / 2 + 1);
    Duration doubled = backoff.multipliedBy(2);
    backoff = doubled.compareTo(config.maxBackoff()) > 0 ? config.maxBackoff() : doubled;
    try {
      scheduler.schedule(this::connect, delay, TimeUnit.MILLISECONDS);
    } catch (RejectedExecutionException e) {
      // closing
    }
  }

  @Override
  public void close() {
    Attempt attempt;
    synchronized (this) {
      closed = true;
      attempt = current;
      current = null;
    }
    if (attempt != null) {
      attempt.cancel();
    }
    scheduler.shutdownNow();
    channel.shutdownNow();
    try {
      channel.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** One stream; callbacks from a stream that is no longer current are ignored. */
  private final class Attempt
      implements ClientResponseObserver<DeltaDiscoveryRequest, DeltaDiscoveryResponse> {
    final long id;
    boolean answered;
    private ClientCallStreamObserver<DeltaDiscoveryRequest> requests;

    Attempt(long id) {
      this.id = id;
    }

    @Override
    public void beforeStart(ClientCallStreamObserver<DeltaDiscoveryRequest> requests) {
      this.requests = requests;
    }

    /** Called under the client's lock, which keeps writes serial. */
    void send(DeltaDiscoveryRequest request) {
      requests.onNext(request);
    }

    void cancel() {
      requests.cancel("ztunnel closing", null);
    }

    @Override
    public void onNext(DeltaDiscoveryResponse response) {
      onResponse(this, response);
    }

    @Override
    public void onError(Throwable t) {
      onEnded(this, Status.fromThrowable(t));
    }

    @Override
    public void onCompleted() {
      onEnded(this, Status.UNAVAILABLE.withDescription("server closed the stream"));
    }
  }
}
