package dev.ambient.ztunnel.identity;

import dev.ambient.api.spiffe.SpiffeId;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/**
 * Where the CA is and how to talk to it.
 *
 * @param host CA host name or IP literal; the CA's certificate must carry it as a DNS or IP SAN,
 *     unless it carries the istiod SPIFFE ID of {@code trustDomain}
 * @param rootCertFile PEM root(s) the CA's serving certificate must chain to
 * @param tokenFile file holding the node's bootstrap token, re-read for every request
 * @param requestedTtl lifetime asked for; the CA may shorten it
 * @param callTimeout deadline of one CreateCertificate call
 */
public record CaClientConfig(
    String host,
    int port,
    Path rootCertFile,
    Path tokenFile,
    String trustDomain,
    Duration requestedTtl,
    Duration callTimeout) {

  public static final Duration DEFAULT_TTL = Duration.ofHours(24);
  public static final Duration DEFAULT_CALL_TIMEOUT = Duration.ofSeconds(30);

  public CaClientConfig {
    Objects.requireNonNull(host, "host");
    Objects.requireNonNull(rootCertFile, "rootCertFile");
    Objects.requireNonNull(tokenFile, "tokenFile");
    Objects.requireNonNull(trustDomain, "trustDomain");
    requestedTtl = requestedTtl == null ? DEFAULT_TTL : requestedTtl;
    callTimeout = callTimeout == null ? DEFAULT_CALL_TIMEOUT : callTimeout;
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("CA port: " + port + " is not in 1..65535");
    }
    if (requestedTtl.getSeconds() < 1) {
      throw new IllegalArgumentException("CA requested TTL: must be at least 1s");
    }
  }

  public CaClientConfig(
      String host, int port, Path rootCertFile, Path tokenFile, String trustDomain) {
    this(host, port, rootCertFile, tokenFile, trustDomain, null, null);
  }

  /** The SPIFFE ID Istio's istiod serves with, accepted in place of a host name match. */
  public SpiffeId istiodIdentity() {
    return SpiffeId.of(trustDomain, "istio-system", "istiod");
  }
}
