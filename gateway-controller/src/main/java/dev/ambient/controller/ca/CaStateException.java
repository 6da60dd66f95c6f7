package dev.ambient.controller.ca;

/** The CA's state directory or signer files are missing, unsafe or inconsistent. */
public final class CaStateException extends Exception {
  public CaStateException(String message) {
    super(message);
  }

  public CaStateException(String message, Throwable cause) {
    super(message, cause);
  }
}
