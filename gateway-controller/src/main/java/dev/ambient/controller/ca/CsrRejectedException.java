package dev.ambient.controller.ca;

/** A certificate signing request the CA will not sign; the message says exactly why. */
public final class CsrRejectedException extends Exception {
  public CsrRejectedException(String message) {
    super(message);
  }
}
