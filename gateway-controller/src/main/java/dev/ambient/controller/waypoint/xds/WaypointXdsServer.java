package dev.ambient.controller.waypoint.xds;

import io.envoyproxy.controlplane.cache.v3.SimpleCache;
import io.envoyproxy.controlplane.server.DiscoveryServerCallbacks;
import io.envoyproxy.controlplane.server.V3DiscoveryServer;
import io.envoyproxy.controlplane.server.exception.RequestException;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.netty.NettyServerBuilder;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * State-of-the-world ADS for waypoint Envoys (java-control-plane's {@link V3DiscoveryServer} over a
 * {@link SimpleCache} keyed by node id), on a gRPC port of its own: the controller's 15012 already
 * serves {@code AggregatedDiscoveryService} (delta WDS for ztunnels), and one gRPC server cannot
 * host two implementations of one service.
 *
 * <p>The stream carries the waypoint's private key, so every caller must present the bearer token
 * issued for its node by {@link #register} (Envoy sends it as gRPC initial metadata from its
 * bootstrap file, which is written 0600), and the node id it claims must be that node.
 */
public final class WaypointXdsServer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(WaypointXdsServer.class);
  private static final Metadata.Key<String> AUTHORIZATION =
      Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);
  private static final Context.Key<String> CALLER = Context.key("waypoint-node");
  private static final SecureRandom RANDOM = new SecureRandom();

  private final Server server;
  private final WaypointConfigs configs;
  private final Map<String, String> tokens = new ConcurrentHashMap<>();
  private final Map<Long, String> streamNodes = new ConcurrentHashMap<>();
  private final Map<String, Sent> sent = new ConcurrentHashMap<>();
  // ACK/NACK bookkeeping and rollbacks run off gRPC's threads, one at a time, in arrival order.
  private final ExecutorService events =
      Executors.newSingleThreadExecutor(
          r -> {
            Thread t = new Thread(r, "waypoint-xds-events");
            t.setDaemon(true);
            return t;
          });

  /** What a response nonce stood for on a stream. */
  private record Sent(String node, String typeUrl, String version) {}

  private WaypointXdsServer(InetSocketAddress listen) throws IOException {
    SimpleCache<String> cache = new SimpleCache<>(node -> node.getId());
    this.configs = new WaypointConfigs(cache);
    V3DiscoveryServer discovery = new V3DiscoveryServer(new Callbacks(), cache);
    this.server =
        NettyServerBuilder.forAddress(listen)
            .maxInboundMessageSize(4 * 1024 * 1024)
            .addService(
                ServerInterceptors.intercept(
                    discovery.getAggregatedDiscoveryServiceImpl(), new TokenCheck()))
            .build()
            .start();
    LOG.info(
        "waypoint ADS listening on {}:{}", listen.getAddress().getHostAddress(), server.getPort());
  }

  /** Starts on {@code listen} (a loopback address in local mode; port 0 picks one). */
  public static WaypointXdsServer start(InetSocketAddress listen) throws IOException {
    return new WaypointXdsServer(listen);
  }

  public InetSocketAddress address() {
    return (InetSocketAddress) server.getListenSockets().get(0);
  }

  /** A fresh bearer token for a waypoint node (replacing any earlier one); keep it secret. */
  public String register(String node) {
    byte[] b = new byte[32];
    RANDOM.nextBytes(b);
    String token = Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    tokens.entrySet().removeIf(e -> e.getValue().equals(node));
    tokens.put(token, node);
    return token;
  }

  /** Serves a new configuration to the node; returns its version. */
  public String publish(String node, WaypointResources resources) {
    return configs.publish(node, resources);
  }

  /** The version being served to the node (after a rollback, the re-served accepted one). */
  public String currentVersion(String node) {
    return configs.currentVersion(node);
  }

  /** The last version Envoy accepted for every type it carries, or null. */
  public String acceptedVersion(String node) {
    return configs.acceptedVersion(node);
  }

  @Override
  public void close() throws InterruptedException {
    server.shutdownNow();
    server.awaitTermination(5, TimeUnit.SECONDS);
    events.shutdownNow();
  }

  private final class TokenCheck implements ServerInterceptor {
    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(
        ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
      String value = headers.get(AUTHORIZATION);
      String node = null;
      if (value != null && value.startsWith("Bearer ")) {
        node = lookup(value.substring("Bearer ".length()));
      }
      if (node == null) {
        LOG.warn("waypoint ADS: call without a valid token from {}", call.getAttributes());
        call.close(
            Status.UNAUTHENTICATED.withDescription("waypoint token required"), new Metadata());
        return new ServerCall.Listener<>() {};
      }
      return Contexts.interceptCall(Context.current().withValue(CALLER, node), call, headers, next);
    }

    /** Constant-time comparison over all tokens: the map lookup alone would leak timing. */
    private String lookup(String presented) {
      String found = null;
      byte[] p = presented.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
      for (Map.Entry<String, String> e : tokens.entrySet()) {
        if (MessageDigest.isEqual(
            p, e.getKey().getBytes(java.nio.charset.StandardCharsets.US_ASCII))) {
          found = e.getValue();
        }
      }
      return found;
    }
  }

  private final class Callbacks implements DiscoveryServerCallbacks {
    @Override
    public void onStreamOpen(long streamId, String typeUrl) throws RequestException {
      String caller = CALLER.get();
      if (caller == null) {
        throw new RequestException(Status.UNAUTHENTICATED.withDescription("no caller"));
      }
      streamNodes.put(streamId, caller);
    }

    @Override
    public void onStreamClose(long streamId, String typeUrl) {
      forget(streamId);
    }

    @Override
    public void onStreamCloseWithError(long streamId, String typeUrl, Throwable error) {
      LOG.debug("waypoint ADS stream {} closed: {}", streamId, error.toString());
      forget(streamId);
    }

    private void forget(long streamId) {
      streamNodes.remove(streamId);
      sent.keySet().removeIf(k -> k.startsWith(streamId + "/"));
    }

    @Override
    public void onV3StreamRequest(long streamId, DiscoveryRequest request) throws RequestException {
      String node = streamNodes.get(streamId);
      if (node == null) {
        throw new RequestException(Status.UNAUTHENTICATED.withDescription("unknown stream"));
      }
      if (request.hasNode() && !request.getNode().getId().equals(node)) {
        LOG.warn(
            "waypoint ADS stream {}: token of {} used for node {}",
            streamId,
            node,
            request.getNode().getId());
        throw new RequestException(
            Status.PERMISSION_DENIED.withDescription("the token is not for this node id"));
      }
      String nonce = request.getResponseNonce();
      if (nonce.isEmpty()) {
        return; // a subscription, not an answer
      }
      Sent answered = sent.remove(streamId + "/" + nonce);
      if (request.hasErrorDetail()) {
        String rejected = answered == null ? null : answered.version();
        events.execute(() -> nack(node, streamId, request, rejected));
      } else {
        String type = request.getTypeUrl();
        String version = request.getVersionInfo();
        events.execute(() -> configs.onAck(node, type, version));
      }
    }

    private void nack(String node, long streamId, DiscoveryRequest request, String rejected) {
      List<String> changed =
          rejected == null ? null : configs.changedNames(node, rejected, request.getTypeUrl());
      Object names = changed == null ? "unknown: version no longer served" : changed;
      LOG.error(
          "waypoint NACK from node {} (stream {}): type {} version {} (changed resources {}); Envoy"
              + " keeps version {}: code {}: \"{}\"",
          node,
          streamId,
          request.getTypeUrl(),
          rejected,
          names,
          request.getVersionInfo(),
          request.getErrorDetail().getCode(),
          request.getErrorDetail().getMessage());
      configs.onNack(node, rejected);
    }

    @Override
    public void onV3StreamDeltaRequest(long streamId, DeltaDiscoveryRequest request)
        throws RequestException {
      throw new RequestException(
          Status.UNIMPLEMENTED.withDescription("waypoints use state-of-the-world ADS"));
    }

    @Override
    public void onV3StreamResponse(
        long streamId, DiscoveryRequest request, DiscoveryResponse response) {
      String node = streamNodes.get(streamId);
      if (node != null) {
        sent.put(
            streamId + "/" + response.getNonce(),
            new Sent(node, response.getTypeUrl(), response.getVersionInfo()));
      }
    }
  }
}
