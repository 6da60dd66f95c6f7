package dev.ambient.ztunnel.hbone;

/** The HBONE server answered the CONNECT with a status other than 200. */
public final class HboneStatusException extends RuntimeException {
  private static final long serialVersionUID = 1L;
  private final int status;

  public HboneStatusException(int status, String authority, Object server) {
    super("HBONE CONNECT " + authority + " via " + server + " answered " + status);
    this.status = status;
  }

  public int status() {
    return status;
  }
}
