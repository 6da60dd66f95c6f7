package dev.ambient.ztunnel.identity;

/** A certificate cannot be handed out: the identity is not local, or fetching it failed. */
public final class CertificateUnavailableException extends Exception {
  public CertificateUnavailableException(String message) {
    super(message);
  }

  public CertificateUnavailableException(String message, Throwable cause) {
    super(message, cause);
  }
}
