package dev.ambient.wasm.filters.telemetry;

import dev.ambient.wasm.sdk.HttpContext;
import dev.ambient.wasm.sdk.JsonObject;
import dev.ambient.wasm.sdk.ProxyWasm;
import dev.ambient.wasm.sdk.RootContext;
import org.teavm.interop.Export;

public final class TelemetryFilter {
  private TelemetryFilter() {}

  public static void main(String[] args) {}

  @Export(name = "_initialize")
  public static void initialize() {
    ProxyWasm.register(
        id ->
            new RootContext() {
              @Override
              public void onConfigure(JsonObject configuration) {}

              @Override
              public HttpContext newHttpContext(int contextId) {
                return new HttpContext() {};
              }
            });
  }
}
