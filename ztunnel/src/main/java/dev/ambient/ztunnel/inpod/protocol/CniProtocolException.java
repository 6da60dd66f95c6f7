package dev.ambient.ztunnel.inpod.protocol;

/** A CNI message that cannot be understood; the message names the field. */
public final class CniProtocolException extends Exception {
  private static final long serialVersionUID = 1L;

  public CniProtocolException(String message) {
    super(message);
  }
}
