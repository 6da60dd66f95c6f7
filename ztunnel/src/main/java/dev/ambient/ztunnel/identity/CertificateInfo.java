package dev.ambient.ztunnel.identity;

import dev.ambient.api.spiffe.SpiffeId;
import java.time.Instant;

/**
 * What the admin config dump shows about one cached certificate. Never holds the key.
 *
 * @param serialHex leaf serial in hex, {@code null} if no certificate was obtained yet
 * @param lastError why the last fetch failed, {@code null} if it did not
 * @param nextAttempt when the next fetch is due (renewal or retry), {@code null} if none planned
 */
public record CertificateInfo(
    SpiffeId identity,
    String serialHex,
    Instant notBefore,
    Instant notAfter,
    State state,
    String lastError,
    Instant nextAttempt) {

  public enum State {
    /** No valid certificate yet; a fetch is queued or in flight. */
    PENDING,
    /** A valid certificate is held and the last fetch succeeded. */
    VALID,
    /** The last fetch failed; an older certificate may still be valid and in use. */
    FAILED
  }
}
