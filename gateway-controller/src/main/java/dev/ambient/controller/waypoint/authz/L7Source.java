package dev.ambient.controller.waypoint.authz;

import java.util.List;

/**
 * One {@code from[].source} entry; every non-empty field must hold. Principals are in Istio's form
 * ({@code <td>/ns/<ns>/sa/<sa>}, patterns {@code x*}, {@code *x}, {@code *}) and are matched
 * against the HBONE peer's SPIFFE ID without {@code spiffe://}; namespaces against that ID's
 * namespace. IP blocks are CIDR strings: {@code ipBlocks} match the HBONE peer's address, {@code
 * remoteIpBlocks} the address Envoy considers the client's (the same here: no trusted hops).
 *
 * @param requestPrincipals true when the entry asks for JWT request principals: the waypoint runs
 *     no JWT filter, so no request has one and the entry never matches ({@code
 *     notRequestPrincipals} always holds and is not kept)
 */
public record L7Source(
    List<String> principals,
    List<String> notPrincipals,
    List<String> namespaces,
    List<String> notNamespaces,
    List<String> ipBlocks,
    List<String> notIpBlocks,
    List<String> remoteIpBlocks,
    List<String> notRemoteIpBlocks,
    boolean requestPrincipals) {
  public L7Source {
    principals = List.copyOf(principals);
    notPrincipals = List.copyOf(notPrincipals);
    namespaces = List.copyOf(namespaces);
    notNamespaces = List.copyOf(notNamespaces);
    ipBlocks = List.copyOf(ipBlocks);
    notIpBlocks = List.copyOf(notIpBlocks);
    remoteIpBlocks = List.copyOf(remoteIpBlocks);
    notRemoteIpBlocks = List.copyOf(notRemoteIpBlocks);
  }

  /** Whether it needs request principals, which a TCP listener (L4) cannot check. */
  public boolean hasL7Fields() {
    return requestPrincipals;
  }
}
