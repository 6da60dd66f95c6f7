package dev.ambient.api.model;

import java.net.InetAddress;
import java.util.Objects;

/**
 * Where a waypoint (or other gateway) is reached: either a service named by {@code
 * <namespace>/<hostname>} or a plain address, plus the port on which it terminates HBONE.
 */
public record GatewayAddress(String namespacedHostname, InetAddress address, int hbonePort) {
  public static final int DEFAULT_HBONE_PORT = 15008;

  public GatewayAddress {
    if ((namespacedHostname == null) == (address == null)) {
      throw new IllegalArgumentException(
          "a gateway address needs exactly one of hostname or address");
    }
    if (hbonePort < 1 || hbonePort > 65535) {
      throw new IllegalArgumentException("hbone port out of range: " + hbonePort);
    }
  }

  public static GatewayAddress ofAddress(InetAddress address) {
    return new GatewayAddress(null, Objects.requireNonNull(address), DEFAULT_HBONE_PORT);
  }

  public static GatewayAddress ofHostname(String namespace, String hostname) {
    return new GatewayAddress(namespace + "/" + hostname, null, DEFAULT_HBONE_PORT);
  }
}
