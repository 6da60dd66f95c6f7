package dev.ambient.controller.waypoint;

import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/** The tests on a {@link WaypointFixture}: a fresh one per test, skipped without Envoy. */
abstract class WaypointEnvoyTestBase {
  @TempDir Path tmp;
  WaypointFixture f;

  @BeforeEach
  void startFixture() throws Exception {
    f = WaypointFixture.startOrSkip(tmp.resolve("envoy"));
  }

  @AfterEach
  void stopFixture() throws Exception {
    if (f != null) {
      f.close();
    }
  }
}
