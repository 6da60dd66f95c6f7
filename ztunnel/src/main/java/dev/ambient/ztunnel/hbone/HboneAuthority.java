package dev.ambient.ztunnel.hbone;

import dev.ambient.api.authz.IpLiteral;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;

/**
 * The {@code :authority} of an HBONE CONNECT: strictly an IP literal and a port ({@code
 * 10.0.0.1:80} or {@code [fd00::1]:80}). Host names are refused: ztunnel never resolves names on
 * behalf of a peer.
 */
public final class HboneAuthority {
  private static final int MAX_LENGTH = 64;

  private HboneAuthority() {}

  /** Parses an authority, throwing {@link IllegalArgumentException} saying what is wrong. */
  public static InetSocketAddress parse(CharSequence authority) {
    if (authority == null || authority.length() == 0) {
      throw new IllegalArgumentException("missing :authority");
    }
    if (authority.length() > MAX_LENGTH) {
      throw new IllegalArgumentException(":authority longer than " + MAX_LENGTH + " characters");
    }
    String s = authority.toString();
    String host;
    String port;
    if (s.startsWith("[")) {
      int close = s.indexOf(']');
      if (close < 0 || close + 1 >= s.length() || s.charAt(close + 1) != ':') {
        throw new IllegalArgumentException(":authority must be [ipv6]:port");
      }
      host = s.substring(1, close);
      port = s.substring(close + 2);
      if (host.indexOf(':') < 0) {
        throw new IllegalArgumentException(":authority brackets must hold an IPv6 address");
      }
    } else {
      int colon = s.indexOf(':');
      if (colon < 0 || colon != s.lastIndexOf(':')) {
        throw new IllegalArgumentException(":authority must be ipv4:port or [ipv6]:port");
      }
      host = s.substring(0, colon);
      port = s.substring(colon + 1);
      if (host.indexOf('.') < 0) {
        throw new IllegalArgumentException(":authority host must be an IPv4 literal");
      }
    }
    InetAddress ip;
    try {
      ip = IpLiteral.parse(host);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(":authority host is not an IP literal: " + e.getMessage());
    }
    return new InetSocketAddress(ip, parsePort(port));
  }

  private static int parsePort(String port) {
    if (port.isEmpty() || port.length() > 5) {
      throw new IllegalArgumentException(":authority port must be 1 to 65535");
    }
    int value = 0;
    for (int i = 0; i < port.length(); i++) {
      char c = port.charAt(i);
      if (c < '0' || c > '9') {
        throw new IllegalArgumentException(":authority port must be decimal digits");
      }
      value = value * 10 + (c - '0');
    }
    if (value < 1 || value > 65535) {
      throw new IllegalArgumentException(":authority port must be 1 to 65535");
    }
    return value;
  }

  /** Formats an address as an authority: {@code ip:port}, IPv6 in brackets, no scope id. */
  public static String format(InetSocketAddress address) {
    InetAddress ip = address.getAddress();
    String host = ip.getHostAddress();
    if (ip instanceof Inet6Address) {
      int pct = host.indexOf('%');
      host = "[" + (pct < 0 ? host : host.substring(0, pct)) + "]";
    }
    return host + ":" + address.getPort();
  }
}
