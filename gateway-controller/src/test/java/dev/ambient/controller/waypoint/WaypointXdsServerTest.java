package dev.ambient.controller.waypoint;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ambient.controller.waypoint.xds.WaypointXdsServer;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.service.discovery.v3.AggregatedDiscoveryServiceGrpc;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The waypoint ADS port refuses callers without their node's token (it serves private keys). */
class WaypointXdsServerTest {
  private WaypointXdsServer server;
  private ManagedChannel channel;

  @BeforeEach
  void start() throws Exception {
    server = WaypointXdsServer.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
    channel = NettyChannelBuilder.forAddress(server.address()).usePlaintext().build();
  }

  @AfterEach
  void stop() throws Exception {
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    server.close();
  }

  /** Opens a stream as {@code node} with the token (or none) and returns how it ended. */
  private Status call(String token, String node) throws Exception {
    Metadata md = new Metadata();
    if (token != null) {
      md.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + token);
    }
    CompletableFuture<Status> end = new CompletableFuture<>();
    StreamObserver<DiscoveryRequest> req =
        AggregatedDiscoveryServiceGrpc.newStub(channel)
            .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(md))
            .streamAggregatedResources(
                new StreamObserver<DiscoveryResponse>() {
                  @Override
                  public void onNext(DiscoveryResponse value) {
                    end.complete(Status.OK);
                  }

                  @Override
                  public void onError(Throwable t) {
                    end.complete(Status.fromThrowable(t));
                  }

                  @Override
                  public void onCompleted() {
                    end.complete(Status.OK);
                  }
                });
    req.onNext(
        DiscoveryRequest.newBuilder()
            .setNode(Node.newBuilder().setId(node))
            .setTypeUrl("type.googleapis.com/envoy.config.cluster.v3.Cluster")
            .build());
    Status s = end.get(30, TimeUnit.SECONDS);
    req.onCompleted();
    return s;
  }

  @Test
  void refusesCallsWithoutAValidToken() throws Exception {
    server.register("default/waypoint");
    assertThat(call(null, "default/waypoint").getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
    assertThat(call("guessed", "default/waypoint").getCode())
        .isEqualTo(Status.Code.UNAUTHENTICATED);
  }

  @Test
  void refusesATokenUsedForAnotherNode() throws Exception {
    String token = server.register("default/waypoint");
    server.register("other/waypoint");
    assertThat(call(token, "other/waypoint").getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
  }

  @Test
  void servesTheNodeItsOwnConfigurationWithItsToken() throws Exception {
    String token = server.register("default/waypoint");
    server.publish(
        "default/waypoint",
        new dev.ambient.controller.waypoint.xds.WaypointResources(
            java.util.List.of(),
            java.util.List.of(),
            java.util.List.of(),
            java.util.List.of(),
            java.util.List.of()));
    assertThat(call(token, "default/waypoint").getCode()).isEqualTo(Status.Code.OK);
  }
}
