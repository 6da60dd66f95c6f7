package dev.ambient.controller.ca;

import dev.ambient.api.spiffe.SpiffeId;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.security.cert.Certificate;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;

/**
 * Rejects calls whose caller cannot be authenticated with UNAUTHENTICATED before any handler runs,
 * and hands the node name to the service through {@link #NODE} (or a workload caller's service
 * account through {@link #SERVICE_ACCOUNT}).
 *
 * <p>A call without a bearer token may instead come over a TLS connection on which the caller
 * presented a workload certificate of the mesh (verified by the server's TLS against the CA's
 * roots): its SPIFFE ID's service account is then set as {@link #WORKLOAD} only. That is how a
 * waypoint's Envoy keeps its configuration stream across reconnects without a token that expires;
 * the CA and workload discovery, which need {@link #SERVICE_ACCOUNT} or {@link #NODE}, refuse such
 * callers.
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

  /**
   * The service account ({@code <namespace>/<name>}) of a workload caller, authenticated by its
   * token (then also {@link #SERVICE_ACCOUNT}) or by its mesh certificate.
   */
  public static final Context.Key<String> WORKLOAD = Context.key("ambient-workload");

  private final CallerAuthenticator authenticator;
  private final String trustDomain;

  public CallerAuthInterceptor(CallerAuthenticator authenticator) {
    this(authenticator, null);
  }

  /**
   * @param trustDomain the mesh's: a verified client certificate with a SPIFFE ID in it
   *     authenticates a workload; {@code null} to accept bearer tokens only
   */
  public CallerAuthInterceptor(CallerAuthenticator authenticator, String trustDomain) {
    this.authenticator = Objects.requireNonNull(authenticator, "authenticator");
    this.trustDomain = trustDomain;
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
    if (caller.isEmpty() && trustDomain != null && headers.get(AUTHORIZATION) == null) {
      String account =
          certificateAccount(call.getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION));
      if (account != null) {
        return Contexts.interceptCall(
            Context.current().withValue(WORKLOAD, account), call, headers, next);
      }
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
            : Context.current()
                .withValue(SERVICE_ACCOUNT, caller.get().serviceAccount())
                .withValue(WORKLOAD, caller.get().serviceAccount());
    return Contexts.interceptCall(context, call, headers, next);
  }

  private static final Metadata.Key<String> AUTHORIZATION =
      Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

  /**
   * The {@code <namespace>/<name>} of the verified client certificate's SPIFFE ID in this trust
   * domain, or {@code null}. Only the first certificate (the leaf) counts, and it must have exactly
   * one URI SAN, as the CA issues them.
   */
  private String certificateAccount(SSLSession session) {
    if (session == null) {
      return null;
    }
    Certificate[] chain;
    try {
      chain = session.getPeerCertificates();
    } catch (SSLPeerUnverifiedException none) {
      return null;
    }
    if (chain.length == 0 || !(chain[0] instanceof X509Certificate leaf)) {
      return null;
    }
    try {
      Collection<List<?>> sans = leaf.getSubjectAlternativeNames();
      if (sans == null) {
        return null;
      }
      String uri = null;
      for (List<?> san : sans) {
        if (Integer.valueOf(6).equals(san.get(0))) {
          if (uri != null) {
            return null;
          }
          uri = String.valueOf(san.get(1));
        }
      }
      if (uri == null) {
        return null;
      }
      SpiffeId id = SpiffeId.parse(uri);
      if (!id.trustDomain().equals(trustDomain)) {
        return null;
      }
      return id.namespace() + "/" + id.serviceAccount();
    } catch (CertificateParsingException | IllegalArgumentException e) {
      return null;
    }
  }
}
