package dev.ambient.wasm.filters.example;

import dev.ambient.wasm.sdk.ProxyWasm;
import org.teavm.interop.Export;

/**
 * A filter that exercises the whole SDK surface; the SDK's Wasm tests run it. Also the template for
 * a new filter: a main class with an empty {@code main} and an {@code _initialize} export.
 */
public final class ExampleFilter {
  private ExampleFilter() {}

  public static void main(String[] args) {
    // Required by TeaVM; the host calls _initialize instead.
  }

  @Export(name = "_initialize")
  public static void initialize() {
    ProxyWasm.register(ExampleRoot::new);
  }
}
