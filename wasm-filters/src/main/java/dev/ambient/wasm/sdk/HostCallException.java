package dev.ambient.wasm.sdk;

/** A host function returned a status other than Ok where the SDK cannot map it to a value. */
public final class HostCallException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final int status;

  HostCallException(String function, int status) {
    super(function + " failed: " + Status.name(status));
    this.status = status;
  }

  /** The raw ABI status code. */
  public int status() {
    return status;
  }
}
