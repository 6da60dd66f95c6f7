package dev.ambient.api.spiffe;

/** A string that is not a valid workload SPIFFE ID; the message says which part is wrong. */
public final class InvalidSpiffeIdException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  public InvalidSpiffeIdException(String message) {
    super(message);
  }
}
