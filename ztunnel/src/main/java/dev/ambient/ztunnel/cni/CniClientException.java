package dev.ambient.ztunnel.cni;

import java.io.IOException;

/** Talking to ztunnel's CNI socket failed; {@link #kind()} says how, the message says why. */
public final class CniClientException extends IOException {
  private static final long serialVersionUID = 1L;

  /** How the exchange failed. */
  public enum Kind {
    /** No socket file, nobody listening, or the connection dropped: ztunnel is not there. */
    UNREACHABLE,
    /** Connected, but no answer within the timeout. */
    TIMEOUT,
    /** Answered something that is not an acknowledgement. */
    PROTOCOL
  }

  private final Kind kind;

  public CniClientException(Kind kind, String message, Throwable cause) {
    super(message, cause);
    this.kind = kind;
  }

  public Kind kind() {
    return kind;
  }
}
