package dev.ambient.wasm.filters.noop;

import dev.ambient.wasm.sdk.ConfigException;
import dev.ambient.wasm.sdk.HttpContext;
import dev.ambient.wasm.sdk.JsonObject;
import dev.ambient.wasm.sdk.ProxyWasm;
import dev.ambient.wasm.sdk.RootContext;
import org.teavm.interop.Export;

/**
 * A filter that does nothing per request. The benchmark runs it to separate what any Java Wasm
 * filter costs in Envoy (a V8 call per callback, the SDK's context bookkeeping) from what a
 * filter's own work costs.
 */
public final class NoopFilter {
  private NoopFilter() {}

  public static void main(String[] args) {
    // Required by TeaVM; the host calls _initialize instead.
  }

  @Export(name = "_initialize")
  public static void initialize() {
    ProxyWasm.register(NoopRoot::new);
  }

  static final class NoopRoot extends RootContext {
    NoopRoot(int id) {}

    @Override
    public void onConfigure(JsonObject configuration) throws ConfigException {
      configuration.requireOnly();
    }

    @Override
    public HttpContext newHttpContext(int contextId) {
      return new HttpContext() {};
    }
  }
}
