package dev.ambient.netlab;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;

/** An IPv4 prefix such as {@code 10.71.1.0/24}, parsed strictly (no host bits, no names). */
record Ipv4Cidr(int network, int length) {

  static Ipv4Cidr parse(String text, String what) {
    int slash = text == null ? -1 : text.indexOf('/');
    if (slash < 0) {
      throw new IllegalArgumentException(
          what + ": \"" + text + "\" is not an IPv4 CIDR (a.b.c.d/n)");
    }
    int length;
    try {
      length = Integer.parseInt(text.substring(slash + 1));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(what + ": \"" + text + "\" has no numeric prefix length");
    }
    if (length < 8 || length > 30) {
      throw new IllegalArgumentException(
          what + ": \"" + text + "\" prefix length must be between 8 and 30");
    }
    int address = parseAddress(text.substring(0, slash), what);
    if ((address & ~mask(length)) != 0) {
      throw new IllegalArgumentException(what + ": \"" + text + "\" has host bits set");
    }
    return new Ipv4Cidr(address, length);
  }

  static int parseAddress(String text, String what) {
    String[] parts = text.split("\\.", -1);
    if (parts.length != 4) {
      throw new IllegalArgumentException(what + ": \"" + text + "\" is not an IPv4 address");
    }
    int value = 0;
    for (String part : parts) {
      int octet;
      try {
        octet = part.isEmpty() || part.length() > 3 ? -1 : Integer.parseInt(part);
      } catch (NumberFormatException e) {
        octet = -1;
      }
      if (octet < 0 || octet > 255) {
        throw new IllegalArgumentException(what + ": \"" + text + "\" is not an IPv4 address");
      }
      value = (value << 8) | octet;
    }
    return value;
  }

  static int mask(int length) {
    return length == 0 ? 0 : -1 << (32 - length);
  }

  /** Number of usable host addresses (network and broadcast excluded). */
  int hostCount() {
    return (1 << (32 - length)) - 2;
  }

  /** The {@code n}th host address, 1-based: host(1) is the first usable address. */
  InetAddress host(int n) {
    if (n < 1 || n > hostCount()) {
      throw new IllegalArgumentException("host " + n + " outside " + this);
    }
    return toInet(network + n);
  }

  boolean overlaps(Ipv4Cidr other) {
    int shorter = Math.min(length, other.length);
    return (network & mask(shorter)) == (other.network & mask(shorter));
  }

  static InetAddress toInet(int value) {
    byte[] b = {(byte) (value >>> 24), (byte) (value >>> 16), (byte) (value >>> 8), (byte) value};
    try {
      return (Inet4Address) InetAddress.getByAddress(b);
    } catch (UnknownHostException e) {
      throw new AssertionError("four bytes are always an address", e);
    }
  }

  @Override
  public String toString() {
    return toInet(network).getHostAddress() + "/" + length;
  }
}
