package dev.ambient.controller.ca;

import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.util.Objects;
import java.util.Optional;

/**
 * Rejects calls whose caller cannot be authenticated with UNAUTHENTICATED before any handler runs,
 * and hands the node name to the service through {@link #NODE}.
 */
public final class CallerAuthInterceptor implements ServerInterceptor {
  /** The authenticated node of the current call. */
  public static final Context.Key<String> NODE = Context.key("ambient-ca-node");

  private final CallerAuthenticator authenticator;

  public CallerAuthInterceptor(CallerAuthenticator authenticator) {
    this.authenticator = Objects.requireNonNull(authenticator, "authenticator");
  }

  @Override
  public <Q, A> ServerCall.Listener<Q> interceptCall(
      ServerCall<Q, A> call, Metadata headers, ServerCallHandler<Q, A> next) {
    Optional<String> node;
    try {
      node = authenticator.nodeFor(headers);
    } catch (RuntimeException e) {
      node = Optional.empty();
    }
    if (node.isEmpty()) {
      call.close(
          Status.UNAUTHENTICATED.withDescription(
              "missing or unknown bearer token in the authorization header"),
          new Metadata());
      return new ServerCall.Listener<>() {};
    }
    return Contexts.interceptCall(
        Context.current().withValue(NODE, node.get()), call, headers, next);
  }
}
