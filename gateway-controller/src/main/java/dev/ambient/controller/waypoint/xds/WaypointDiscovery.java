package dev.ambient.controller.waypoint.xds;

import io.envoyproxy.controlplane.cache.v3.SimpleCache;
import io.envoyproxy.controlplane.server.DiscoveryServerCallbacks;
import io.envoyproxy.controlplane.server.V3DiscoveryServer;
import io.envoyproxy.controlplane.server.exception.RequestException;
import io.envoyproxy.envoy.service.discovery.v3.AggregatedDiscoveryServiceGrpc;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.grpc.Context;
import io.grpc.Status;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.BiConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * State-of-the-world ADS for waypoint Envoys, independent of the port it is served on:
 * java-control-plane's {@link V3DiscoveryServer} over a {@link SimpleCache} keyed by node id, the
 * per-node configurations and their ACK/NACK bookkeeping ({@link WaypointConfigs}), and the check
 * that each stream's authenticated caller may have the node id it claims.
 *
 * <p>Who the caller is comes from a gRPC {@link Context} key that an interceptor in front of {@link
 * #service} has set: {@link WaypointXdsServer}'s per-node tokens on its own port, or the
 * controller's caller authentication (a TokenReview'ed service account) on 15012. A stream without
 * a caller, or whose caller may not have the node it names, is ended before anything is sent.
 */
public final class WaypointDiscovery implements WaypointConfigSink, AutoCloseable {
  // One logger name for the waypoint ADS however it is served (operators and tests follow it).
  private static final Logger LOG = LoggerFactory.getLogger(WaypointXdsServer.class);

  /** Whether an authenticated caller may receive a node's configuration. */
  @FunctionalInterface
  public interface NodeAccess {
    /** Empty if allowed, else why not. */
    Optional<String> denial(String caller, String nodeId);
  }

  private final Context.Key<String> callerKey;
  private final NodeAccess access;
  private final WaypointConfigs configs;
  private final V3DiscoveryServer discovery;
  private final Map<Long, String> streamCallers = new ConcurrentHashMap<>();
  private final Map<Long, String> streamNodes = new ConcurrentHashMap<>();
  private final Map<String, Sent> sent = new ConcurrentHashMap<>();
  private final List<BiConsumer<String, String>> pluginRejections = new CopyOnWriteArrayList<>();
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

  /**
   * @param callerKey the context key an interceptor sets to the authenticated caller
   * @param access decides which node ids a caller may ask for
   */
  /**
   * Told, off gRPC's threads, when Envoy refuses a configuration because of a WasmPlugin: the
   * plugin as Envoy names it ({@code <namespace>.<name>}) and Envoy's message.
   */
  public void onPluginRejected(BiConsumer<String, String> listener) {
    pluginRejections.add(listener);
  }

  public WaypointDiscovery(Context.Key<String> callerKey, NodeAccess access) {
    this.callerKey = Objects.requireNonNull(callerKey, "callerKey");
    this.access = Objects.requireNonNull(access, "access");
    SimpleCache<String> cache = new SimpleCache<>(node -> node.getId());
    this.configs = new WaypointConfigs(cache);
    this.discovery = new V3DiscoveryServer(new Callbacks(), cache);
  }

  /** Cluster mode: callers are service accounts, checked against the waypoint registry. */
  public static WaypointDiscovery forServiceAccounts(
      Context.Key<String> serviceAccountKey, WaypointAuthorizer authorizer) {
    return new WaypointDiscovery(serviceAccountKey, authorizer::denial);
  }

  /**
   * The ADS implementation (SotW only; its delta method refuses). Put it behind the interceptor
   * that sets the caller key, or route to it from a combined ADS service.
   */
  public AggregatedDiscoveryServiceGrpc.AggregatedDiscoveryServiceImplBase service() {
    return discovery.getAggregatedDiscoveryServiceImpl();
  }

  @Override
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
  public void close() {
    events.shutdownNow();
  }

  private final class Callbacks implements DiscoveryServerCallbacks {
    @Override
    public void onStreamOpen(long streamId, String typeUrl) throws RequestException {
      String caller = callerKey.get();
      if (caller == null) {
        throw new RequestException(
            Status.UNAUTHENTICATED.withDescription("waypoint ADS: no authenticated caller"));
      }
      streamCallers.put(streamId, caller);
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
      streamCallers.remove(streamId);
      streamNodes.remove(streamId);
      sent.keySet().removeIf(k -> k.startsWith(streamId + "/"));
    }

    @Override
    public void onV3StreamRequest(long streamId, DiscoveryRequest request) throws RequestException {
      String caller = streamCallers.get(streamId);
      if (caller == null) {
        throw new RequestException(Status.UNAUTHENTICATED.withDescription("unknown stream"));
      }
      String node = checkedNode(streamId, caller, request);
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

    /**
     * The node this stream serves: fixed by its first request (checked against the caller), and
     * every later request must name the same node.
     */
    private String checkedNode(long streamId, String caller, DiscoveryRequest request)
        throws RequestException {
      String known = streamNodes.get(streamId);
      String claimed = request.hasNode() ? request.getNode().getId() : known;
      if (claimed == null) {
        throw new RequestException(
            Status.INVALID_ARGUMENT.withDescription("the first request must carry the node"));
      }
      if (known != null) {
        if (!known.equals(claimed)) {
          LOG.warn(
              "waypoint ADS stream {}: node changed from {} to {} mid-stream",
              streamId,
              known,
              claimed);
          throw new RequestException(
              Status.PERMISSION_DENIED.withDescription("the node id may not change on a stream"));
        }
        return known;
      }
      Optional<String> denial = access.denial(caller, claimed);
      if (denial.isPresent()) {
        LOG.warn(
            "waypoint ADS stream {}: {} refused node {}: {}",
            streamId,
            caller,
            claimed,
            denial.get());
        throw new RequestException(
            Status.PERMISSION_DENIED.withDescription(
                "not allowed to have node " + claimed + ": " + denial.get()));
      }
      streamNodes.put(streamId, claimed);
      return claimed;
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
      List<String> plugins = WasmHttpFilters.pluginsNamedIn(request.getErrorDetail().getMessage());
      if (!plugins.isEmpty()) {
        LOG.error(
            "waypoint NACK from node {}: caused by WasmPlugin {} (its module failed to start or"
                + " rejected its configuration); the last accepted configuration keeps serving",
            node,
            String.join(", ", plugins));
        for (String plugin : plugins) {
          for (BiConsumer<String, String> l : pluginRejections) {
            try {
              l.accept(plugin, request.getErrorDetail().getMessage());
            } catch (RuntimeException e) {
              LOG.warn("a WasmPlugin rejection listener failed: {}", e.toString());
            }
          }
        }
      }
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
