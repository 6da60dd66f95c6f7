package dev.ambient.api.authz;

import java.net.InetAddress;
import java.util.Objects;

/** An address block such as {@code 10.0.0.0/8}; a bare address is a /32 (or /128). */
public record Cidr(InetAddress address, int prefixLength) {

  public Cidr {
    Objects.requireNonNull(address, "address");
    int max = address.getAddress().length * 8;
    if (prefixLength < 0 || prefixLength > max) {
      throw new IllegalArgumentException(
          "prefix length " + prefixLength + " out of range 0.." + max);
    }
  }

  /** Parses {@code a.b.c.d[/n]} or an IPv6 literal; only literals, never a DNS lookup. */
  public static Cidr parse(String text) {
    Objects.requireNonNull(text, "cidr");
    int slash = text.indexOf('/');
    String host = slash < 0 ? text : text.substring(0, slash);
    InetAddress address = IpLiteral.parse(host);
    int max = address.getAddress().length * 8;
    int prefix = max;
    if (slash >= 0) {
      String p = text.substring(slash + 1);
      if (p.isEmpty() || p.length() > 3 || !p.chars().allMatch(Character::isDigit)) {
        throw new IllegalArgumentException("invalid prefix length in " + text);
      }
      prefix = Integer.parseInt(p);
    }
    return new Cidr(address, prefix);
  }

  public boolean contains(InetAddress candidate) {
    byte[] net = address.getAddress();
    byte[] ip = candidate.getAddress();
    if (net.length != ip.length) {
      return false;
    }
    int full = prefixLength / 8;
    for (int i = 0; i < full; i++) {
      if (net[i] != ip[i]) {
        return false;
      }
    }
    int rem = prefixLength % 8;
    if (rem == 0) {
      return true;
    }
    int mask = 0xff << (8 - rem);
    return (net[full] & mask) == (ip[full] & mask);
  }

  @Override
  public String toString() {
    return address.getHostAddress() + "/" + prefixLength;
  }
}
