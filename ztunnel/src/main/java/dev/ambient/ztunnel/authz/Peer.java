package dev.ambient.ztunnel.authz;

import dev.ambient.api.spiffe.SpiffeId;

/**
 * The facts of one connection in the form the matchers compare, computed once per check.
 *
 * @param principal the verified identity without {@code spiffe://} ({@code td/ns/x/sa/y}), or
 *     {@code null} for a plaintext caller
 * @param namespace the namespace of the verified identity, or {@code null} for a plaintext caller
 */
record Peer(String principal, String namespace, byte[] sourceIp, byte[] destinationIp, int port) {

  static Peer of(ConnectionContext c) {
    SpiffeId id = c.sourcePrincipal();
    String principal =
        id == null
            ? null
            : id.trustDomain() + "/ns/" + id.namespace() + "/sa/" + id.serviceAccount();
    return new Peer(
        principal,
        id == null ? null : id.namespace(),
        c.sourceIp() == null ? null : c.sourceIp().getAddress(),
        c.destinationIp() == null ? null : c.destinationIp().getAddress(),
        c.destinationPort());
  }
}
