package dev.ambient.controller.ca;

import dev.ambient.api.ca.v1.IstioCertificateRequest;
import dev.ambient.api.ca.v1.IstioCertificateResponse;
import dev.ambient.api.ca.v1.IstioCertificateServiceGrpc;
import dev.ambient.api.spiffe.SpiffeId;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code istio.v1.auth.IstioCertificateService/CreateCertificate}: validate the CSR, check the
 * caller's node may hold the identity, sign. Logs one line per decision (node, identity, serial,
 * outcome), never keys or CSR bodies. Must run behind {@link CallerAuthInterceptor}.
 */
public final class CaGrpcService
    extends IstioCertificateServiceGrpc.IstioCertificateServiceImplBase {
  private static final Logger log = LoggerFactory.getLogger(CaGrpcService.class);

  private final CertificateAuthority ca;
  private final CsrValidator validator;
  private final NodeAuthorizer authorizer;

  public CaGrpcService(CertificateAuthority ca, NodeAuthorizer authorizer) {
    this.ca = Objects.requireNonNull(ca, "ca");
    this.authorizer = Objects.requireNonNull(authorizer, "authorizer");
    this.validator = new CsrValidator(ca.trustDomain());
  }

  @Override
  public void createCertificate(
      IstioCertificateRequest request, StreamObserver<IstioCertificateResponse> response) {
    String node = CallerAuthInterceptor.NODE.get();
    String account = CallerAuthInterceptor.SERVICE_ACCOUNT.get();
    if (node == null && account != null) {
      createForWorkload(account, request, response);
      return;
    }
    if (node == null) {
      // Wired without the interceptor: fail closed, never issue anonymously.
      log.warn("CA decision: node=- identity=- outcome=UNAUTHENTICATED (no authenticated caller)");
      response.onError(
          Status.UNAUTHENTICATED.withDescription("caller not authenticated").asException());
      return;
    }
    ValidatedCsr csr;
    try {
      csr = validator.validate(request.getCsr());
    } catch (CsrRejectedException e) {
      log.info(
          "CA decision: node={} identity=- outcome=INVALID_ARGUMENT ({})", node, e.getMessage());
      response.onError(Status.INVALID_ARGUMENT.withDescription(e.getMessage()).asException());
      return;
    }
    Optional<String> denial = authorizer.denial(node, csr.identity());
    if (denial.isPresent()) {
      log.info("CA decision: node={} identity={} outcome=PERMISSION_DENIED", node, csr.identity());
      response.onError(Status.PERMISSION_DENIED.withDescription(denial.get()).asException());
      return;
    }
    signAndReply("node=" + node, csr, request, response);
  }

  /**
   * A workload authenticated by its own service-account token (a waypoint pod) gets exactly the
   * SPIFFE ID of that account, nothing else (Istio's rule for workloads asking for themselves).
   */
  private void createForWorkload(
      String account,
      IstioCertificateRequest request,
      StreamObserver<IstioCertificateResponse> out) {
    ValidatedCsr csr;
    try {
      csr = validator.validate(request.getCsr());
    } catch (CsrRejectedException e) {
      log.info(
          "CA decision: serviceAccount={} identity=- outcome=INVALID_ARGUMENT ({})",
          account,
          e.getMessage());
      out.onError(Status.INVALID_ARGUMENT.withDescription(e.getMessage()).asException());
      return;
    }
    int slash = account.indexOf('/');
    SpiffeId own;
    try {
      own =
          SpiffeId.of(ca.trustDomain(), account.substring(0, slash), account.substring(slash + 1));
    } catch (RuntimeException e) {
      own = null; // an account that names no valid identity may have none
    }
    if (own == null || !csr.identity().equals(own)) {
      log.info(
          "CA decision: serviceAccount={} identity={} outcome=PERMISSION_DENIED",
          account,
          csr.identity());
      out.onError(
          Status.PERMISSION_DENIED
              .withDescription(
                  "service account "
                      + account
                      + " may only have its own identity "
                      + own
                      + ", not "
                      + csr.identity())
              .asException());
      return;
    }
    signAndReply("serviceAccount=" + account, csr, request, out);
  }

  /**
   * Signs an authorized CSR and answers; {@code caller} is the log's "node=..." or
   * "serviceAccount=..." part.
   */
  private void signAndReply(
      String caller,
      ValidatedCsr csr,
      IstioCertificateRequest request,
      StreamObserver<IstioCertificateResponse> out) {
    IssuedCertificate issued;
    try {
      issued = ca.sign(csr, Duration.ofSeconds(request.getValidityDuration()));
    } catch (RuntimeException e) {
      log.error(
          "CA decision: {} identity={} outcome=INTERNAL ({})",
          caller,
          csr.identity(),
          e.getMessage());
      out.onError(Status.INTERNAL.withDescription("signing failed").asException());
      return;
    }
    log.info(
        "CA decision: {} identity={} serial={} notAfter={} outcome=ISSUED",
        caller,
        csr.identity(),
        issued.serialHex(),
        issued.leaf().getNotAfter().toInstant());
    out.onNext(
        IstioCertificateResponse.newBuilder().addAllCertChain(issued.certChainPem()).build());
    out.onCompleted();
  }
}
