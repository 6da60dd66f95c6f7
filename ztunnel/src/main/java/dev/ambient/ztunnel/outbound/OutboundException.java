package dev.ambient.ztunnel.outbound;

/**
 * An outbound connection could not be set up.
 *
 * @see #refused() whether the destination side refused (vs. a local or routing failure)
 */
public final class OutboundException extends RuntimeException {
  private static final long serialVersionUID = 1L;
  private final boolean refused;

  public OutboundException(String message, boolean refused, Throwable cause) {
    super(message, cause);
    this.refused = refused;
  }

  /** True when the upstream refused (TCP refused, HBONE non-200); false for local failures. */
  public boolean refused() {
    return refused;
  }
}
