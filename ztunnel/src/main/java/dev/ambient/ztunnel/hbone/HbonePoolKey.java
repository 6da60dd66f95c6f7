package dev.ambient.ztunnel.hbone;

import dev.ambient.api.spiffe.SpiffeId;
import java.net.InetSocketAddress;
import java.util.Set;

/**
 * Connections are shared only between tunnels with the same source identity, source sockets (a
 * pod's namespace gives them its own source IP), server identity and address.
 */
record HbonePoolKey(
    SpiffeId source, String sockets, Set<SpiffeId> expectedServer, InetSocketAddress address) {
  HbonePoolKey {
    expectedServer = Set.copyOf(expectedServer);
  }
}
