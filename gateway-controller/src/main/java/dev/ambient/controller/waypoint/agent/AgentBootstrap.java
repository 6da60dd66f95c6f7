package dev.ambient.controller.waypoint.agent;

import com.google.protobuf.Any;
import dev.ambient.api.spiffe.SpiffeId;
import dev.ambient.controller.waypoint.process.BootstrapParts;
import dev.ambient.controller.waypoint.xds.AgentSds;
import io.envoyproxy.envoy.config.bootstrap.v3.Bootstrap;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.Address;
import io.envoyproxy.envoy.config.core.v3.DataSource;
import io.envoyproxy.envoy.config.core.v3.Pipe;
import io.envoyproxy.envoy.config.core.v3.TransportSocket;
import io.envoyproxy.envoy.config.core.v3.WatchedDirectory;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.CertificateValidationContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.CommonTlsContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.SubjectAltNameMatcher;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.TlsParameters;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext;
import io.envoyproxy.envoy.type.matcher.v3.StringMatcher;
import java.net.InetAddress;
import java.nio.file.Path;

/**
 * The static config of a waypoint pod's Envoy, the pod-mode counterpart of {@code
 * process.WaypointBootstrap}:
 *
 * <ul>
 *   <li>node id {@code <namespace>/<gateway>}, so every replica gets the Gateway's one snapshot;
 *   <li>admin on 127.0.0.1 only (port chosen by Envoy, reported through {@code
 *       --admin-address-path}): it can dump config and stop Envoy, so nothing outside the pod's
 *       loopback may reach it;
 *   <li>cluster {@code waypoint_ads}: the controller's 15012 over TLS 1.3 with ALPN h2, its
 *       certificate verified against {@code --ca-root} (re-read when its directory changes) and
 *       required to carry the controller's SPIFFE ID (as ztunnel checks istiod), SNI the
 *       controller's host name; Envoy authenticates with the pod's own workload certificate (the
 *       agent's SDS secret, renewed by the agent), never with the service-account token: a
 *       projected token expires, and Envoy could not present a fresh one when it reconnects;
 *   <li>cluster {@link AgentSds#CLUSTER}: HTTP/2 over the agent's SDS unix socket.
 * </ul>
 *
 * <p>The bootstrap holds neither a token nor a key; it is written 0600 into the 0700 work
 * directory.
 */
public final class AgentBootstrap {
  static final String ADS_CLUSTER = BootstrapParts.ADS_CLUSTER;

  private AgentBootstrap() {}

  /**
   * @param controllerHost host name or IP literal of the controller
   * @param controllerIdentity the SPIFFE ID the controller's certificate must carry
   * @param caRoot the PEM file with the roots the controller's certificate chains to
   * @param sdsSocket the agent's SDS unix socket
   */
  public static Bootstrap build(
      String nodeId,
      String controllerHost,
      int controllerPort,
      SpiffeId controllerIdentity,
      Path caRoot,
      Path sdsSocket) {
    boolean literal = isIpLiteral(controllerHost);
    Cluster ads =
        BootstrapParts.h2Cluster(ADS_CLUSTER, BootstrapParts.socket(controllerHost, controllerPort))
            .setType(literal ? Cluster.DiscoveryType.STATIC : Cluster.DiscoveryType.STRICT_DNS)
            .setTransportSocket(adsTls(controllerHost, controllerIdentity, caRoot))
            .build();
    Cluster sds =
        BootstrapParts.h2Cluster(
                AgentSds.CLUSTER,
                Address.newBuilder()
                    .setPipe(Pipe.newBuilder().setPath(sdsSocket.toString()))
                    .build())
            .setType(Cluster.DiscoveryType.STATIC)
            .build();
    return BootstrapParts.overAds(nodeId, null, ads, sds);
  }

  private static TransportSocket adsTls(String host, SpiffeId identity, Path caRoot) {
    CommonTlsContext common =
        CommonTlsContext.newBuilder()
            .setTlsParams(
                TlsParameters.newBuilder()
                    .setTlsMinimumProtocolVersion(TlsParameters.TlsProtocol.TLSv1_3)
                    .setTlsMaximumProtocolVersion(TlsParameters.TlsProtocol.TLSv1_3))
            .addAlpnProtocols("h2")
            .addTlsCertificateSdsSecretConfigs(AgentSds.certificate())
            .setValidationContext(
                CertificateValidationContext.newBuilder()
                    .setTrustedCa(DataSource.newBuilder().setFilename(caRoot.toString()))
                    // A ConfigMap volume swaps its files by renaming a symlink in this directory:
                    // Envoy re-reads the root after a rotation without a restart.
                    .setWatchedDirectory(
                        WatchedDirectory.newBuilder()
                            .setPath(caRoot.toAbsolutePath().getParent().toString()))
                    .addMatchTypedSubjectAltNames(
                        SubjectAltNameMatcher.newBuilder()
                            .setSanType(SubjectAltNameMatcher.SanType.URI)
                            .setMatcher(StringMatcher.newBuilder().setExact(identity.uri()))))
            .build();
    UpstreamTlsContext.Builder ctx = UpstreamTlsContext.newBuilder().setCommonTlsContext(common);
    if (!isIpLiteral(host)) {
      ctx.setSni(host);
    }
    return TransportSocket.newBuilder()
        .setName("envoy.transport_sockets.tls")
        .setTypedConfig(Any.pack(ctx.build()))
        .build();
  }

  /** The bootstrap as JSON (Envoy reads {@code .json} files as such). */
  public static String json(Bootstrap bootstrap) {
    return BootstrapParts.json(bootstrap);
  }

  static boolean isIpLiteral(String host) {
    if (host.indexOf(':') >= 0) {
      return true; // IPv6
    }
    if (!host.matches("[0-9.]+")) {
      return false;
    }
    try {
      InetAddress.getByName(host); // a dotted quad: parsed, never looked up
      return true;
    } catch (java.net.UnknownHostException e) {
      return false;
    }
  }
}
