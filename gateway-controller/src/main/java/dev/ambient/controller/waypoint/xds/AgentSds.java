package dev.ambient.controller.waypoint.xds;

/**
 * The contract between pod-mode waypoint resources and the waypoint agent ({@code mesh waypoint
 * run}): the agent's bootstrap defines a cluster of this name that reaches its local SDS server,
 * and the agent serves the two secrets under these names. The controller's resources only refer to
 * them; the key never passes through the controller.
 */
public final class AgentSds {
  /** The bootstrap cluster (a unix domain socket) Envoy reaches the agent's SDS server through. */
  public static final String CLUSTER = "agent_sds";

  /** The waypoint's certificate chain and private key. */
  public static final String CERT_SECRET = XdsNames.CERT_SECRET;

  /** The mesh trust bundle (validation context). */
  public static final String BUNDLE_SECRET = XdsNames.BUNDLE_SECRET;

  private AgentSds() {}

  /** The waypoint's certificate as an SDS reference to the agent (for the bootstrap's ADS TLS). */
  public static io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.SdsSecretConfig
      certificate() {
    return Protos.agentSds(CERT_SECRET);
  }
}
