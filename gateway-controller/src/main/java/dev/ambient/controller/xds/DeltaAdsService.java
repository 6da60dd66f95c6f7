package dev.ambient.controller.xds;

import dev.ambient.controller.ca.CallerAuthInterceptor;
import io.envoyproxy.envoy.service.discovery.v3.AggregatedDiscoveryServiceGrpc;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryResponse;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code envoy.service.discovery.v3.AggregatedDiscoveryService/DeltaAggregatedResources} for
 * Istio's workload discovery types. State-of-the-world ADS is left unimplemented (ztunnel only
 * speaks delta). Each stream is a {@link DeltaAdsStream}; the caller's node comes from {@link
 * CallerAuthInterceptor}, which refuses unauthenticated callers before any of this runs.
 */
public final class DeltaAdsService
    extends AggregatedDiscoveryServiceGrpc.AggregatedDiscoveryServiceImplBase {
  private final WdsSnapshotHolder snapshots;
  private final Executor pushExecutor;
  private final AtomicLong streamIds = new AtomicLong();
  private final Set<DeltaAdsStream> open = ConcurrentHashMap.newKeySet();

  /**
   * @param pushExecutor runs snapshot pushes (never on a gRPC thread; may be shared by streams)
   */
  public DeltaAdsService(WdsSnapshotHolder snapshots, Executor pushExecutor) {
    this.snapshots = Objects.requireNonNull(snapshots, "snapshots");
    this.pushExecutor = Objects.requireNonNull(pushExecutor, "pushExecutor");
  }

  /** The service behind an authenticating interceptor, ready to add to a server. */
  public ServerServiceDefinition authenticated(CallerAuthInterceptor auth) {
    return ServerInterceptors.intercept(this, auth);
  }

  @Override
  public StreamObserver<DeltaDiscoveryRequest> deltaAggregatedResources(
      StreamObserver<DeltaDiscoveryResponse> responses) {
    String node = CallerAuthInterceptor.NODE.get();
    if (node == null && CallerAuthInterceptor.WORKLOAD.get() != null) {
      // A workload (a waypoint pod, by its token or certificate) is not a node: workload discovery
      // is for node proxies.
      responses.onError(
          io.grpc.Status.PERMISSION_DENIED
              .withDescription(
                  "service account "
                      + CallerAuthInterceptor.WORKLOAD.get()
                      + " is not a node: workload discovery is for node proxies")
              .asException());
      return new StreamObserver<>() {
        @Override
        public void onNext(DeltaDiscoveryRequest value) {}

        @Override
        public void onError(Throwable t) {}

        @Override
        public void onCompleted() {}
      };
    }
    DeltaAdsStream stream =
        new DeltaAdsStream(
            "wds-" + streamIds.incrementAndGet(),
            node == null ? "?" : node,
            (ServerCallStreamObserver<DeltaDiscoveryResponse>) responses,
            snapshots,
            pushExecutor,
            open::remove);
    open.add(stream);
    stream.open();
    return stream;
  }

  /**
   * Ends every open stream with UNAVAILABLE (clients keep their state and reconnect), so that a
   * shutting-down server need not wait for streams that would never end on their own.
   */
  public void closeStreams() {
    for (DeltaAdsStream s : List.copyOf(open)) {
      s.shutdown();
    }
  }

  /** Streams currently open. */
  public int openStreams() {
    return open.size();
  }
}
