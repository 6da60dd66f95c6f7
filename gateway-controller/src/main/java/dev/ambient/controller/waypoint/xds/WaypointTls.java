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
 * bundle from SDS, and a peer that must carry a SPIFFE URI SAN of our trust domain (the exact
 * identity per endpoint is added upstream through filter state).
 */
final class WaypointTls {
  private WaypointTls() {}

  private static CommonTlsContext common(String trustDomain) {
    return CommonTlsContext.newBuilder()
        .setTlsParams(
            TlsParameters.newBuilder()
                .setTlsMinimumProtocolVersion(TlsParameters.TlsProtocol.TLSv1_3)
                .setTlsMaximumProtocolVersion(TlsParameters.TlsProtocol.TLSv1_3))
        .addAlpnProtocols("h2")
        .addTlsCertificateSdsSecretConfigs(Protos.sds(XdsNames.CERT_SECRET))
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
                .setValidationContextSdsSecretConfig(Protos.sds(XdsNames.BUNDLE_SECRET)))
        .build();
  }

  /** 15008: a client certificate is required and verified (fail closed). */
  static TransportSocket downstream(String trustDomain) {
    DownstreamTlsContext ctx =
        DownstreamTlsContext.newBuilder()
            .setCommonTlsContext(common(trustDomain))
            .setRequireClientCertificate(com.google.protobuf.BoolValue.of(true))
            .build();
    return TransportSocket.newBuilder()
        .setName("envoy.transport_sockets.tls")
        .setTypedConfig(Protos.any(ctx))
        .build();
  }

  static TransportSocket upstream(String trustDomain) {
    UpstreamTlsContext ctx =
        UpstreamTlsContext.newBuilder().setCommonTlsContext(common(trustDomain)).build();
    return TransportSocket.newBuilder()
        .setName("envoy.transport_sockets.tls")
        .setTypedConfig(Protos.any(ctx))
        .build();
  }
}
