package dev.ambient.wasm.sdk;

/**
 * Entry point of a filter module. A filter is one class compiled by TeaVM as the main class:
 *
 * <pre>{@code
 * public final class MyFilter {
 *   public static void main(String[] args) {} // TeaVM needs one; the host never runs it
 *
 *   @Export(name = "_initialize")
 *   public static void initialize() {
 *     ProxyWasm.register(MyRoot::new);
 *   }
 * }
 * }</pre>
 *
 * The host calls {@code _initialize} once, then the proxy-wasm callbacks, which the SDK dispatches
 * to the registered root context and its HTTP contexts.
 */
public final class ProxyWasm {
  private ProxyWasm() {}

  /** Registers the filter; safe to call from {@code _initialize} (never throws). */
  public static void register(RootContextFactory factory) {
    Exports.install(factory);
  }
}
