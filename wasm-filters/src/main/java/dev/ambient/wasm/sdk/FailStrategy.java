package dev.ambient.wasm.sdk;

/**
 * What the SDK does when a filter callback throws, or when a request arrives before any
 * configuration was accepted. Mirrors WasmPlugin's {@code failStrategy}; read from the top-level
 * {@code "failStrategy"} key of the plugin configuration.
 */
public enum FailStrategy {
  /** Answer the request locally with 503 {@code wasm filter error}. Istio's default. */
  FAIL_CLOSE,
  /** Let the request through as if the filter were absent. */
  FAIL_OPEN;

  static FailStrategy parse(String s, String where) throws ConfigException {
    if ("FAIL_CLOSE".equals(s)) {
      return FAIL_CLOSE;
    }
    if ("FAIL_OPEN".equals(s)) {
      return FAIL_OPEN;
    }
    throw new ConfigException(where + ": expected FAIL_CLOSE or FAIL_OPEN, got \"" + s + "\"");
  }
}
