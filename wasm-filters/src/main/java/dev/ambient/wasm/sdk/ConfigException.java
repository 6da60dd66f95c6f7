package dev.ambient.wasm.sdk;

/**
 * An invalid plugin configuration. Thrown from {@link RootContext#onConfigure}; the SDK logs the
 * message, answers the host "configure failed" and keeps the previous configuration.
 */
public class ConfigException extends Exception {
  private static final long serialVersionUID = 1L;

  public ConfigException(String message) {
    super(message);
  }
}
