package dev.ambient.controller.waypoint;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.gatewayapi.v1.GRPCRoute;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.Http2Headers;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * A GRPCRoute through a real Envoy 1.40 waypoint: the method match selects the call, its
 * RequestHeaderModifier reaches the HTTP/2-only server, and a call no rule matches gets 404.
 */
@Tag("envoy")
class WaypointGrpcRouteEnvoyTest extends WaypointEnvoyTestBase {
  private static final String AUTHORITY = "grpc-echo.default.svc.cluster.local:7070";

  @Test
  void aMethodMatchRoutesTheCallWithItsHeaderAndOtherMethodsGet404() throws Exception {
    GRPCRoute route =
        Serialization.unmarshal(
            """
            apiVersion: gateway.networking.k8s.io/v1
            kind: GRPCRoute
            metadata: {name: calls, namespace: default}
            spec:
              parentRefs: [{group: "", kind: Service, name: grpc-echo, port: 7070}]
              rules:
              - matches: [{method: {service: pkg.Echo, method: Call}}]
                filters:
                - type: RequestHeaderModifier
                  requestHeaderModifier: {set: [{name: x-grpc-route, value: calls}]}
                backendRefs: [{name: grpc-echo, port: 7070}]
            """,
            GRPCRoute.class);
    RouteTables.Result routes =
        RouteTables.translate(List.of(), List.of(route), f.state, "cluster.local");
    assertThat(routes.problems()).isEmpty();
    f.publishAndWait(f.resources(f.model(routes.tables())));

    Http2Headers call = post("/pkg.Echo/Call");
    Http2Headers other = post("/pkg.Echo/Other");

    assertThat(call.status()).hasToString("200");
    assertThat(call.get("x-path")).hasToString("/pkg.Echo/Call");
    assertThat(call.get("x-echo-x-grpc-route")).hasToString("calls");
    assertThat(other.status()).hasToString("404");
  }

  /**
   * A request as a gRPC client sends it, minus the body (its content type is not gRPC's: a 404
   * stays a plain 404 instead of Envoy's gRPC form of it).
   */
  private Http2Headers post(String path) throws Exception {
    return WaypointH2cEnvoyTest.h2cRequest(
        f.connect(f.h2cVip, 7070),
        new DefaultHttp2Headers()
            .method("POST")
            .scheme("http")
            .authority(AUTHORITY)
            .path(path)
            .set("te", "trailers"));
  }
}
