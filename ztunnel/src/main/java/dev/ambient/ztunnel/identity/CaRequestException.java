package dev.ambient.ztunnel.identity;

import io.grpc.Status;

/** The CA refused a request, could not be reached, or answered something we cannot accept. */
public final class CaRequestException extends Exception {
  private final Status.Code code;

  public CaRequestException(Status.Code code, String message) {
    super(message);
    this.code = code;
  }

  public CaRequestException(Status.Code code, String message, Throwable cause) {
    super(message, cause);
    this.code = code;
  }

  /** The gRPC status code; {@code INTERNAL} for an answer that failed our checks. */
  public Status.Code code() {
    return code;
  }
}
