package dev.ambient.wasm.sdk;

/**
 * Stands in for the filter's HTTP context while no configuration was ever accepted: applies the
 * fail strategy instead of running filter code against missing state.
 */
final class UnconfiguredContext extends HttpContext {
  private final FailStrategy strategy;

  UnconfiguredContext(FailStrategy strategy) {
    this.strategy = strategy;
  }

  @Override
  public Action onRequestHeaders(int headerCount, boolean endOfStream) {
    if (strategy == FailStrategy.FAIL_OPEN) {
      return Action.CONTINUE;
    }
    sendLocalResponse(503, "wasm_fail_closed", "wasm filter not configured", null);
    return Action.PAUSE;
  }
}
