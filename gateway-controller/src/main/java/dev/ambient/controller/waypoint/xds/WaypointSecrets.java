package dev.ambient.controller.waypoint.xds;

import com.google.protobuf.ByteString;
import dev.ambient.ztunnel.identity.Pem;
import dev.ambient.ztunnel.identity.WorkloadCertificate;
import io.envoyproxy.envoy.config.core.v3.DataSource;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.CertificateValidationContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.Secret;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.TlsCertificate;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The SDS secrets: the waypoint's certificate chain and private key, and the mesh trust bundle. The
 * key exists only in memory and on the ADS stream (or the pod agent's SDS stream, which serves the
 * same two secrets under the same names, see {@link AgentSds}); nothing here is ever logged.
 */
public final class WaypointSecrets {
  private WaypointSecrets() {}

  public static List<Secret> build(WorkloadCertificate cert) {
    Secret key =
        Secret.newBuilder()
            .setName(XdsNames.CERT_SECRET)
            .setTlsCertificate(
                TlsCertificate.newBuilder()
                    .setCertificateChain(bytes(Pem.certificates(cert.chain())))
                    .setPrivateKey(bytes(Pem.privateKey(cert.privateKey()))))
            .build();
    Secret bundle =
        Secret.newBuilder()
            .setName(XdsNames.BUNDLE_SECRET)
            .setValidationContext(
                CertificateValidationContext.newBuilder()
                    .setTrustedCa(bytes(Pem.certificates(cert.trustedRoots()))))
            .build();
    return List.of(key, bundle);
  }

  private static DataSource bytes(String pem) {
    return DataSource.newBuilder()
        .setInlineBytes(ByteString.copyFrom(pem, StandardCharsets.US_ASCII))
        .build();
  }
}
