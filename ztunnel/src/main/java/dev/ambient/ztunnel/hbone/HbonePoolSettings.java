package dev.ambient.ztunnel.hbone;

import java.time.Duration;

/**
 * Tunables of the HBONE client pool; {@link #DEFAULTS} are Istio's ztunnel values.
 *
 * @param maxStreamsPerConnection streams multiplexed on one connection before another is opened
 * @param pingInterval how often an idle-or-not connection is probed with PING
 * @param pingTimeout how long a PING may stay unanswered before the connection is closed
 * @param idleTimeout how long a connection without streams is kept for reuse
 * @param connectTimeout TCP connect plus TLS handshake budget
 */
public record HbonePoolSettings(
    int maxStreamsPerConnection,
    Duration pingInterval,
    Duration pingTimeout,
    Duration idleTimeout,
    Duration connectTimeout) {

  public static final HbonePoolSettings DEFAULTS =
      new HbonePoolSettings(
          Http2Tuning.CLIENT_MAX_STREAMS_PER_CONNECTION,
          Duration.ofSeconds(10),
          Duration.ofSeconds(20),
          Duration.ofMinutes(5),
          Duration.ofSeconds(10));

  public HbonePoolSettings {
    if (maxStreamsPerConnection < 1) {
      throw new IllegalArgumentException("maxStreamsPerConnection must be at least 1");
    }
    if (pingInterval.isNegative() || pingInterval.isZero()) {
      throw new IllegalArgumentException("pingInterval must be positive");
    }
    if (pingTimeout.isNegative() || pingTimeout.isZero()) {
      throw new IllegalArgumentException("pingTimeout must be positive");
    }
    if (idleTimeout.isNegative()) {
      throw new IllegalArgumentException("idleTimeout must not be negative");
    }
  }

  public HbonePoolSettings withMaxStreams(int max) {
    return new HbonePoolSettings(max, pingInterval, pingTimeout, idleTimeout, connectTimeout);
  }

  public HbonePoolSettings withIdleTimeout(Duration idle) {
    return new HbonePoolSettings(
        maxStreamsPerConnection, pingInterval, pingTimeout, idle, connectTimeout);
  }

  public HbonePoolSettings withPing(Duration interval, Duration timeout) {
    return new HbonePoolSettings(
        maxStreamsPerConnection, interval, timeout, idleTimeout, connectTimeout);
  }
}
