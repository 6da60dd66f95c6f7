package dev.ambient.controller.waypoint.xds;

import io.envoyproxy.envoy.config.core.v3.TransportSocket;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.CertificateValidationContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.CommonTlsContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.SubjectAltNameMatcher;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.TlsParameters;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext;
import io.envoyproxy.envoy.type.matcher.v3.StringMatcher;

/**
 * HBONE's TLS on both sides: TLS 1.3 only, ALPN h2, the waypoint's certificate and the mesh trust
 * bundle from SDS (over ADS in local mode, from the pod's agent in pod mode), and a peer that must
 * carry a SPIFFE URI SAN of our trust domain (the exact identity per endpoint is added upstream
 * through filter state).
 */
final class WaypointTls {
  private WaypointTls() {}

  private static CommonTlsContext common(String trustDomain, boolean agentSds) {
    return CommonTlsContext.newBuilder()
        .setTlsParams(
            TlsParameters.newBuilder()
                .setTlsMinimumProtocolVersion(TlsParameters.TlsProtocol.TLSv1_3)
                .setTlsMaximumProtocolVersion(TlsParameters.TlsProtocol.TLSv1_3))
        .addAlpnProtocols("h2")
        .addTlsCertificateSdsSecretConfigs(secret(XdsNames.CERT_SECRET, agentSds))
        .setCombinedValidationContext(
            CommonTlsContext.CombinedCertificateValidationContext.newBuilder()
                .setDefaultValidationContext(
                    CertificateValidationContext.newBuilder()
                        .addMatchTypedSubjectAltNames(
                            SubjectAltNameMatcher.newBuilder()
                                .setSanType(SubjectAltNameMatcher.SanType.URI)
                                .setMatcher(
                                    StringMatcher.newBuilder()
                                        .setPrefix("spiffe://" + trustDomain + "/"))))
                .setValidationContextSdsSecretConfig(secret(XdsNames.BUNDLE_SECRET, agentSds)))
        .build();
  }

  /** Over ADS from the controller (local mode), or from the pod's agent (pod mode). */
  private static io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.SdsSecretConfig secret(
      String name, boolean agentSds) {
    return agentSds ? Protos.agentSds(name) : Protos.sds(name);
  }

  /** 15008: a client certificate is required and verified (fail closed). */
  static TransportSocket downstream(String trustDomain, boolean agentSds) {
    DownstreamTlsContext ctx =
        DownstreamTlsContext.newBuilder()
            .setCommonTlsContext(common(trustDomain, agentSds))
            .setRequireClientCertificate(com.google.protobuf.BoolValue.of(true))
            .build();
    return TransportSocket.newBuilder()
        .setName("envoy.transport_sockets.tls")
        .setTypedConfig(Protos.any(ctx))
        .build();
  }

  static TransportSocket upstream(String trustDomain, boolean agentSds) {
    UpstreamTlsContext ctx =
        UpstreamTlsContext.newBuilder().setCommonTlsContext(common(trustDomain, agentSds)).build();
    return TransportSocket.newBuilder()
        .setName("envoy.transport_sockets.tls")
        .setTypedConfig(Protos.any(ctx))
        .build();
  }
}
