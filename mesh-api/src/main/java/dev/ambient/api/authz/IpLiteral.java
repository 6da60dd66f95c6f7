package dev.ambient.api.authz;

import java.net.InetAddress;
import java.net.UnknownHostException;

/** Parses IP address literals without ever resolving a name. */
public final class IpLiteral {
  private IpLiteral() {}

  public static InetAddress parse(String text) {
    if (text == null || text.isEmpty()) {
      throw new IllegalArgumentException("empty IP address");
    }
    boolean v4 = text.chars().allMatch(c -> (c >= '0' && c <= '9') || c == '.');
    boolean v6 = text.indexOf(':') >= 0
        && text.chars().allMatch(c -> Character.digit(c, 16) >= 0 || c == ':' || c == '.');
    if (v4) {
      String[] parts = text.split("\\.", -1);
      if (parts.length != 4) {
        throw new IllegalArgumentException("not an IPv4 address: " + text);
      }
      byte[] bytes = new byte[4];
      for (int i = 0; i < 4; i++) {
        if (parts[i].isEmpty() || parts[i].length() > 3) {
          throw new IllegalArgumentException("not an IPv4 address: " + text);
        }
        int octet = Integer.parseInt(parts[i]);
        if (octet > 255) {
          throw new IllegalArgumentException("not an IPv4 address: " + text);
        }
        bytes[i] = (byte) octet;
      }
      return byAddress(bytes, text);
    }
    if (v6) {
      try {
        // With only hex digits, ':' and '.', getByName parses a literal and never does a lookup.
        return InetAddress.getByName(text);
      } catch (UnknownHostException e) {
        throw new IllegalArgumentException("not an IPv6 address: " + text, e);
      }
    }
    throw new IllegalArgumentException("not an IP address: " + text);
  }

  private static InetAddress byAddress(byte[] bytes, String text) {
    try {
      return InetAddress.getByAddress(bytes);
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException("not an IP address: " + text, e);
    }
  }
}
