package dev.ambient.ztunnel.xds;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/**
 * Where the workload discovery server is and how to talk to it: as to the CA (the controller serves
 * both on one port), TLS 1.3 with the server's certificate chaining to {@code rootCertFile} and
 * naming the dialled host or the istiod SPIFFE ID, and the node's bootstrap token as {@code
 * authorization: Bearer}. {@code plaintext} is for a development server on 15010 only.
 *
 * @param node this ztunnel's node name, sent as the xDS node id
 * @param initialBackoff first reconnect delay; doubled per failed attempt up to {@code maxBackoff}
 */
public record WdsClientConfig(
    String host,
    int port,
    boolean plaintext,
    Path rootCertFile,
    Path tokenFile,
    String trustDomain,
    String node,
    Duration initialBackoff,
    Duration maxBackoff) {

  public WdsClientConfig {
    Objects.requireNonNull(host, "host");
    Objects.requireNonNull(tokenFile, "tokenFile");
    Objects.requireNonNull(trustDomain, "trustDomain");
    Objects.requireNonNull(node, "node");
    if (!plaintext) {
      Objects.requireNonNull(rootCertFile, "rootCertFile");
    }
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("xDS port: " + port + " is not in 1..65535");
    }
    initialBackoff = initialBackoff == null ? Duration.ofMillis(200) : initialBackoff;
    maxBackoff = maxBackoff == null ? Duration.ofSeconds(15) : maxBackoff;
    if (initialBackoff.isNegative()
        || initialBackoff.isZero()
        || maxBackoff.compareTo(initialBackoff) < 0) {
      throw new IllegalArgumentException(
          "xDS backoff: need 0 < initial (" + initialBackoff + ") <= max (" + maxBackoff + ")");
    }
  }

  public WdsClientConfig(
      String host,
      int port,
      boolean plaintext,
      Path rootCertFile,
      Path tokenFile,
      String trustDomain,
      String node) {
    this(host, port, plaintext, rootCertFile, tokenFile, trustDomain, node, null, null);
  }
}
