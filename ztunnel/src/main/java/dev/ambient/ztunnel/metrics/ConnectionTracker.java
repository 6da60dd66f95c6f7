package dev.ambient.ztunnel.metrics;

/**
 * Counts one connection's bytes and reports its end. Byte methods are called from the event loop on
 * every transfer and must be cheap; {@link #close} is called exactly once.
 */
public interface ConnectionTracker {
  /** Bytes sent towards the destination (from the client). */
  void sent(long bytes);

  /** Bytes received from the destination (towards the client). */
  void received(long bytes);

  /**
   * The connection ended.
   *
   * @param responseFlags Istio-style flags, e.g. {@code "-"} (none), {@code "DENY"}, {@code
   *     "CONNECT"}, {@code "TLS_FAILURE"}
   * @param error a human-readable reason, or {@code null} when it ended normally
   */
  void close(String responseFlags, String error);
}
