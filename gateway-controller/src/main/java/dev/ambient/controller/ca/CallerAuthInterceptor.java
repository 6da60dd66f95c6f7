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
 * and hands the node name to the service through {@link #NODE} (or a workload caller's service
 * account through {@link #SERVICE_ACCOUNT}).
 */
public final class CallerAuthInterceptor implements ServerInterceptor {
  /** The authenticated node of the current call. */
  public static final Context.Key<String> NODE = Context.key("ambient-ca-node");

  /**
   * The authenticated service account ({@code <namespace>/<name>}) of the current call when the
   * caller is a workload acting for itself rather than a node; {@link #NODE} is then unset.
   */
  public static final Context.Key<String> SERVICE_ACCOUNT =
      Context.key("ambient-ca-service-account");

  private final CallerAuthenticator authenticator;

  public CallerAuthInterceptor(CallerAuthenticator authenticator) {
    this.authenticator = Objects.requireNonNull(authenticator, "authenticator");
  }

  @Override
  public <Q, A> ServerCall.Listener<Q> interceptCall(
      ServerCall<Q, A> call, Metadata headers, ServerCallHandler<Q, A> next) {
    Optional<Caller> caller;
    try {
      caller = authenticator.callerFor(headers);
    } catch (RuntimeException e) {
      caller = Optional.empty();
    }
    if (caller.isEmpty()) {
      call.close(
          Status.UNAUTHENTICATED.withDescription(
              "missing or unknown bearer token in the authorization header"),
          new Metadata());
      return new ServerCall.Listener<>() {};
    }
    Context context =
        caller.get().isNode()
            ? Context.current().withValue(NODE, caller.get().node())
            : Context.current().withValue(SERVICE_ACCOUNT, caller.get().serviceAccount());
    return Contexts.interceptCall(context, call, headers, next);
  }
}
