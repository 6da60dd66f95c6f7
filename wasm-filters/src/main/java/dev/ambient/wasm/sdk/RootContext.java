package dev.ambient.wasm.sdk;

/**
 * One plugin instance in a VM: receives the plugin configuration, owns timers and creates an {@link
 * HttpContext} per HTTP stream. Keep configuration-derived state in an immutable object and swap it
 * in only at the end of a successful {@link #onConfigure}: a rejected configuration must leave the
 * previous behaviour in place.
 */
public abstract class RootContext {
  private int id;
  FailStrategy failStrategy = FailStrategy.FAIL_CLOSE;
  boolean configured;

  void attach(int id) {
    this.id = id;
  }

  public final int id() {
    return id;
  }

  /** The strategy of the last accepted configuration (FAIL_CLOSE before any). */
  public final FailStrategy failStrategy() {
    return failStrategy;
  }

  /** Called once when the VM starts, with the VM configuration (may be empty). */
  public void onVmStart(JsonObject vmConfiguration) throws ConfigException {}

  /**
   * Applies a plugin configuration: the JSON document Envoy passes as {@code configuration}
   * (WasmPlugin {@code pluginConfig}), minus the SDK's own {@code failStrategy} key. Throw {@link
   * ConfigException} with a message naming the field to reject it.
   */
  public abstract void onConfigure(JsonObject configuration) throws ConfigException;

  /** Creates the context of a new HTTP stream. */
  public abstract HttpContext newHttpContext(int contextId);

  /** Called every tick period once {@link #setTickPeriodMillis(int)} was set. */
  public void onTick() {}

  /** Called when the host shuts the plugin down. */
  public void onDone() {}

  /** Starts (or with 0, stops) periodic {@link #onTick()} calls. */
  protected final void setTickPeriodMillis(int millis) {
    HostCalls.setTickPeriodMillis(millis);
  }
}
