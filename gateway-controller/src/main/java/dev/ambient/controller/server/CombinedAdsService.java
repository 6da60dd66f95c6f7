package dev.ambient.controller.server;

import io.envoyproxy.envoy.service.discovery.v3.AggregatedDiscoveryServiceGrpc;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryResponse;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.grpc.stub.StreamObserver;
import java.util.Objects;

/**
 * The one {@code AggregatedDiscoveryService} of the controller's 15012: a gRPC server can host only
 * one implementation of a service, and two clients speak it differently. Envoy waypoints use
 * state-of-the-world ({@code StreamAggregatedResources}), served by the waypoint discovery
 * (java-control-plane); ztunnels use delta ({@code DeltaAggregatedResources}), served by workload
 * discovery. Each method goes to its implementation unchanged, inside the same gRPC context, so
 * both see the caller the authentication interceptor in front of this service put there.
 */
final class CombinedAdsService
    extends AggregatedDiscoveryServiceGrpc.AggregatedDiscoveryServiceImplBase {
  private final AggregatedDiscoveryServiceGrpc.AggregatedDiscoveryServiceImplBase sotw;
  private final AggregatedDiscoveryServiceGrpc.AggregatedDiscoveryServiceImplBase delta;

  /**
   * @param sotw serves {@code StreamAggregatedResources} (waypoints)
   * @param delta serves {@code DeltaAggregatedResources} (workload discovery)
   */
  CombinedAdsService(
      AggregatedDiscoveryServiceGrpc.AggregatedDiscoveryServiceImplBase sotw,
      AggregatedDiscoveryServiceGrpc.AggregatedDiscoveryServiceImplBase delta) {
    this.sotw = Objects.requireNonNull(sotw, "sotw");
    this.delta = Objects.requireNonNull(delta, "delta");
  }

  @Override
  public StreamObserver<DiscoveryRequest> streamAggregatedResources(
      StreamObserver<DiscoveryResponse> responses) {
    return sotw.streamAggregatedResources(responses);
  }

  @Override
  public StreamObserver<DeltaDiscoveryRequest> deltaAggregatedResources(
      StreamObserver<DeltaDiscoveryResponse> responses) {
    return delta.deltaAggregatedResources(responses);
  }
}
