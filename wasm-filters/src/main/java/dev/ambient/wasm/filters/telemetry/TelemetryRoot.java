package dev.ambient.wasm.filters.telemetry;

import dev.ambient.wasm.sdk.ConfigException;
import dev.ambient.wasm.sdk.HttpContext;
import dev.ambient.wasm.sdk.JsonObject;
import dev.ambient.wasm.sdk.RootContext;

/** Configuration: {@code reporter} (default {@code waypoint}). */
final class TelemetryRoot extends RootContext {
  private String reporter = "waypoint";

  TelemetryRoot(int id) {}

  @Override
  public void onConfigure(JsonObject config) throws ConfigException {
    config.requireOnly("reporter");
    String r = config.string("reporter", "waypoint");
    if (!r.equals("waypoint") && !r.equals("source") && !r.equals("destination")) {
      throw new ConfigException(
          "reporter: expected waypoint, source or destination, got \"" + r + "\"");
    }
    reporter = r;
  }

  @Override
  public HttpContext newHttpContext(int contextId) {
    return new TelemetryStream(reporter);
  }
}
