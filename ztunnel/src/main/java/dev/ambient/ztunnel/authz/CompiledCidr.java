package dev.ambient.ztunnel.authz;

import dev.ambient.api.authz.Cidr;

/** A {@link Cidr} with its network bytes extracted once, compared without allocation. */
final class CompiledCidr {
  private final byte[] network;
  private final int prefix;

  CompiledCidr(Cidr cidr) {
    this.network = cidr.address().getAddress();
    this.prefix = cidr.prefixLength();
  }

  /** Addresses of the other family (or none at all) are never contained. */
  boolean contains(byte[] ip) {
    if (ip == null || ip.length != network.length) {
      return false;
    }
    int full = prefix >>> 3;
    for (int i = 0; i < full; i++) {
      if (network[i] != ip[i]) {
        return false;
      }
    }
    int rem = prefix & 7;
    if (rem == 0) {
      return true;
    }
    int mask = (0xff << (8 - rem)) & 0xff;
    return (network[full] & mask) == (ip[full] & mask);
  }
}
