package dev.ambient.controller.waypoint;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.spi.ILoggingEvent;
import dev.ambient.api.spiffe.SpiffeId;
import dev.ambient.ztunnel.identity.WorkloadCertificate;
import dev.ambient.ztunnel.testing.RawHboneClient;
import dev.ambient.ztunnel.testing.TestPki;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.ssl.SslContext;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** A real Envoy 1.40 waypoint configured over ADS, between two real in-process ztunnels. */
@Tag("envoy")
class WaypointEnvoyTest extends WaypointEnvoyTestBase {

  /** The translated model with a request header set on the echo service's route. */
  private WaypointModel withHeader(String name, String value) {
    return withEchoRoutes(List.of(headerRoute("with-header", PathMatch.any(), name, value)));
  }

  private RouteRule headerRoute(String routeName, PathMatch path, String name, String value) {
    return new RouteRule(
        routeName,
        path,
        List.of(),
        null,
        List.of(
            new WeightedBackend(new BackendRef("default/echo.default.svc.cluster.local", 80), 1)),
        new HeaderModifier(Map.of(name, value), Map.of(), List.of()));
  }

  /** The translated model with the echo service's route table replaced. */
  private WaypointModel withEchoRoutes(List<RouteRule> routes) {
    WaypointModel m = f.model();
    List<ServiceListener> listeners = new ArrayList<>();
    for (ServiceListener l : m.listeners()) {
      listeners.add(l.vip().equals(f.vip) ? ServiceListener.http(l.vip(), l.service(), routes) : l);
    }
    return new WaypointModel(m.name(), m.identity(), m.address(), listeners, m.backends());
  }

  @Test
  void routesThroughTheWaypointWithTheHeaderModifier() throws Exception {
    f.publishAndWait(f.resources(withHeader("x-waypoint", "seen")));

    Socket s = f.connect(f.vip, 80);
    Http1.Response r = Http1.get(s, "echo.default.svc.cluster.local", "/hello");

    assertThat(r.status()).isEqualTo(200);
    assertThat(r.body()).isEqualTo("server /hello");
    assertThat(f.backend.last("/hello").headers()).containsEntry("x-waypoint", "seen");
  }

  @Test
  void envoyHoldsTheConfigurationWithoutKeyMaterialInItsDump() throws Exception {
    f.publishAndWait(f.resources(f.model()));

    InetSocketAddress admin = f.envoy.adminAddress(WaypointFixture.WAIT);
    String dump =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(
                        URI.create(
                            "http://127.0.0.1:" + admin.getPort() + "/config_dump?include_eds"))
                    .build(),
                HttpResponse.BodyHandlers.ofString())
            .body();
    assertThat(dump)
        .contains("connect_terminate", "main_internal", "connect_originate")
        .contains("outbound|80||echo.default.svc.cluster.local")
        .contains(f.vip.getHostAddress() + ":80")
        .doesNotContain("PRIVATE KEY");
    assertThat(f.logs.list).noneMatch(e -> e.getFormattedMessage().contains("NACK"));
  }

  @Test
  void refusesClientCertificatesFromAForeignCa() throws Exception {
    f.publishAndWait(f.resources(f.model()));
    InetSocketAddress hbone = new InetSocketAddress(f.waypointIp, 15008);
    var connect =
        new DefaultHttp2Headers().method("CONNECT").authority(f.vip.getHostAddress() + ":80");

    WorkloadCertificate good = f.pair.pki.issue(f.pair.client.identity());
    int status =
        RawHboneClient.request(f.pair.transport, context(good), hbone, connect)
            .get(30, TimeUnit.SECONDS);
    assertThat(status).as("a mesh certificate is accepted").isEqualTo(200);

    WorkloadCertificate foreign =
        new TestPki(f.pair.pki.trustDomain()).issue(f.pair.client.identity());
    assertThatThrownBy(
            () ->
                RawHboneClient.request(f.pair.transport, context(foreign), hbone, connect)
                    .get(30, TimeUnit.SECONDS))
        .isInstanceOf(ExecutionException.class);
    SslContext none = RawHboneClient.context(null);
    assertThatThrownBy(
            () ->
                RawHboneClient.request(f.pair.transport, none, hbone, connect)
                    .get(30, TimeUnit.SECONDS))
        .isInstanceOf(ExecutionException.class);
  }

  private String adminGet(String path) throws Exception {
    InetSocketAddress admin = f.envoy.adminAddress(WaypointFixture.WAIT);
    return HttpClient.newHttpClient()
        .send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + admin.getPort() + path))
                .build(),
            HttpResponse.BodyHandlers.ofString())
        .body();
  }

  private static SslContext context(WorkloadCertificate c) {
    return RawHboneClient.context(c.privateKey(), c.chain().toArray(new X509Certificate[0]));
  }

  @Test
  void refusesABackendPresentingAnotherIdentity() throws Exception {
    WaypointModel m = f.model();
    f.publishAndWait(f.resources(m));
    assertThat(Http1.get(f.connect(f.badVip, 80), "bad", "/before").status())
        .as("the service works while its endpoint identity is right")
        .isEqualTo(200);
    SpiffeId impostor = SpiffeId.of(m.trustDomain(), "default", "not-the-server");
    List<Backend> backends = new ArrayList<>();
    for (Backend b : m.backends()) {
      if (b.ref().service().startsWith("default/bad.")) {
        List<Endpoint> eps = new ArrayList<>();
        for (Endpoint e : b.endpoints()) {
          eps.add(new Endpoint(e.address(), e.port(), impostor));
        }
        backends.add(new Backend(b.ref(), eps));
      } else {
        backends.add(b);
      }
    }
    f.publishAndWait(
        f.resources(
            new WaypointModel(m.name(), m.identity(), m.address(), m.listeners(), backends)));

    Http1.Response refused = Http1.get(f.connect(f.badVip, 80), "bad", "/bad");
    assertThat(refused.status()).isEqualTo(503);
    assertThat(f.backend.sawPath("/bad")).isFalse();
    assertThat(adminGet("/stats?filter=connect_originate.ssl.fail_verify_san"))
        .as("refused by the exact SAN check")
        .doesNotContain("fail_verify_san: 0")
        .contains("fail_verify_san: ");

    Http1.Response ok = Http1.get(f.connect(f.vip, 80), "echo", "/good");
    assertThat(ok.status()).as("the same server under its own identity").isEqualTo(200);
  }

  @Test
  void aNewRouteAppliesWithoutDroppingAnEstablishedConnection() throws Exception {
    f.publishAndWait(f.resources(f.model()));
    Socket s = f.connect(f.vip, 80);
    assertThat(Http1.get(s, "echo", "/one").status()).isEqualTo(200);
    assertThat(f.backend.last("/one").headers()).doesNotContainKey("x-route");

    f.publishAndWait(
        f.resources(
            withEchoRoutes(
                List.of(
                    headerRoute("v2", PathMatch.prefix("/v2"), "x-route", "v2"),
                    headerRoute("rest", PathMatch.any(), "x-route", "rest")))));

    // Same socket, same tunnel: the listener was not drained, the new table serves.
    assertThat(Http1.get(s, "echo", "/v2/x").status()).isEqualTo(200);
    assertThat(f.backend.last("/v2/x").headers()).containsEntry("x-route", "v2");
    assertThat(Http1.get(s, "echo", "/two").status()).isEqualTo(200);
    assertThat(f.backend.last("/two").headers()).containsEntry("x-route", "rest");
    assertThat(s.isClosed()).isFalse();
  }

  @Test
  void aRejectedConfigurationIsLoggedAndTheLastGoodOneKeepsServing() throws Exception {
    String good = f.publishAndWait(f.resources(withHeader("x-version", "good")));
    WaypointModel invalid =
        withEchoRoutes(
            List.of(headerRoute("broken", PathMatch.regex("(unclosed"), "x-version", "bad")));

    String bad = f.xds.publish(f.node, f.resources(invalid));

    WaypointFixture.await(
        () -> f.logs.list.stream().anyMatch(e -> e.getFormattedMessage().contains("NACK")),
        "the NACK to be logged");
    ILoggingEvent nack =
        f.logs.list.stream()
            .filter(e -> e.getFormattedMessage().contains("NACK"))
            .findFirst()
            .orElseThrow();
    assertThat(nack.getFormattedMessage())
        .contains("RouteConfiguration", "version " + bad)
        .contains("changed resources [" + f.vip.getHostAddress() + ":80]")
        .contains("Envoy keeps version " + good);
    WaypointFixture.await(
        () ->
            !bad.equals(f.xds.currentVersion(f.node))
                && f.xds.currentVersion(f.node).equals(f.xds.acceptedVersion(f.node)),
        "the last good configuration to be served and accepted again");

    Http1.Response r = Http1.get(f.connect(f.vip, 80), "echo", "/after");
    assertThat(r.status()).isEqualTo(200);
    assertThat(f.backend.last("/after").headers()).containsEntry("x-version", "good");
  }

  @Test
  void proxiesATcpServiceAtL4() throws Exception {
    f.publishAndWait(f.resources(f.model()));
    Socket s = f.connect(f.tcpVip, 9000);
    byte[] payload = "not http at all\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    s.getOutputStream().write(payload);
    s.getOutputStream().flush();
    assertThat(s.getInputStream().readNBytes(payload.length)).isEqualTo(payload);
  }

  @Test
  void thePublisherFollowsTheMeshAndKeepsServingOnABadSnapshot() throws Exception {
    WaypointPublisher publisher = f.publisher();
    String v = publisher.apply(f.state);
    f.awaitAccepted(v);
    assertThat(Http1.get(f.connect(f.vip, 80), "echo", "/published").status()).isEqualTo(200);

    assertThat(publisher.apply(f.state)).as("unchanged mesh, nothing new").isNull();
    assertThat(
            publisher.apply(
                dev.ambient.ztunnel.testing.TestMesh.state(List.of(f.pair.client), List.of())))
        .as("the waypoint vanished from the snapshot: not applied")
        .isNull();
    assertThat(f.xds.currentVersion(f.node)).isEqualTo(v);
    assertThat(Http1.get(f.connect(f.vip, 80), "echo", "/still").status()).isEqualTo(200);
  }
}
