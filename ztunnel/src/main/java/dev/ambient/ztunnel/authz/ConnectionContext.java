package dev.ambient.ztunnel.authz;

import dev.ambient.api.spiffe.SpiffeId;
import java.net.InetAddress;

/**
 * What L4 policy sees of one inbound connection.
 *
 * @param sourcePrincipal the peer's verified SPIFFE ID, or {@code null} for plaintext callers
 */
public record ConnectionContext(
    SpiffeId sourcePrincipal,
    InetAddress sourceIp,
    InetAddress destinationIp,
    int destinationPort) {}
