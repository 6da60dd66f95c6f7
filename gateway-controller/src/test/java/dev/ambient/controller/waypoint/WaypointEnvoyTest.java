package dev.ambient.controller.waypoint;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ambient.controller.waypoint.process.EnvoyBinary;
import dev.ambient.controller.waypoint.xds.WaypointResources;
import java.net.Socket;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A real Envoy 1.40 waypoint configured over ADS, between two real in-process ztunnels. */
@Tag("envoy")
class WaypointEnvoyTest {
  @TempDir Path tmp;
  private WaypointFixture f;

  @BeforeEach
  void start() throws Exception {
    var envoy = EnvoyBinary.find();
    if (envoy.isEmpty()) {
      System.out.println(EnvoyBinary.skipReason());
    }
    Assumptions.assumeTrue(envoy.isPresent(), EnvoyBinary.skipReason());
    f = new WaypointFixture(envoy.get(), tmp.resolve("envoy"));
  }

  @AfterEach
  void stop() throws Exception {
    if (f != null) {
      f.close();
    }
  }

  /** The translated model with a request header set on the echo service's route. */
  private WaypointModel withHeader(String name, String value) {
    WaypointModel m = f.model();
    List<ServiceListener> listeners = new java.util.ArrayList<>();
    for (ServiceListener l : m.listeners()) {
      if (l.vip().equals(f.vip)) {
        RouteRule self = l.routes().get(0);
        listeners.add(
            ServiceListener.http(
                l.vip(),
                l.service(),
                List.of(
                    new RouteRule(
                        "with-header",
                        PathMatch.any(),
                        List.of(),
                        null,
                        self.backends(),
                        new HeaderModifier(Map.of(name, value), Map.of(), List.of())))));
      } else {
        listeners.add(l);
      }
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
}
