package dev.ambient.ztunnel.hbone;

import dev.ambient.api.spiffe.SpiffeId;
import java.net.InetSocketAddress;
import java.util.Set;

/**
 * Connections are shared only between tunnels with the same source, server identity and address.
 */
record HbonePoolKey(SpiffeId source, Set<SpiffeId> expectedServer, InetSocketAddress address) {
  HbonePoolKey {
    expectedServer = Set.copyOf(expectedServer);
  }
}
