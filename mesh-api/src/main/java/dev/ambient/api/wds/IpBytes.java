package dev.ambient.api.wds;

import com.google.protobuf.ByteString;
import java.net.InetAddress;
import java.net.UnknownHostException;

/** IP addresses as WDS carries them: the raw 4 (IPv4) or 16 (IPv6) network-order bytes. */
final class IpBytes {
  private IpBytes() {}

  static ByteString of(InetAddress address) {
    return ByteString.copyFrom(address.getAddress());
  }

  /**
   * Decodes an address, or returns null after recording why it is not one. An IPv4-mapped IPv6
   * address (::ffff:a.b.c.d) decodes to the IPv4 address, as Java's InetAddress does.
   */
  static InetAddress parse(ByteString bytes, Problems problems, String resource, String field) {
    int n = bytes.size();
    if (n != 4 && n != 16) {
      problems.add(resource, field, "an IP address must be 4 or 16 bytes, got " + n);
      return null;
    }
    try {
      return InetAddress.getByAddress(bytes.toByteArray());
    } catch (UnknownHostException e) {
      // Unreachable for 4 or 16 bytes; reported rather than thrown to keep the error contract.
      problems.add(resource, field, "not an IP address");
      return null;
    }
  }
}
