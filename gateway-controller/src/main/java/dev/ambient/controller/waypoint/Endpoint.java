package dev.ambient.controller.waypoint;

import dev.ambient.api.spiffe.SpiffeId;
import java.net.InetAddress;
import java.util.Objects;

/**
 * One workload behind a backend: where its HBONE server delivers (address and target port) and the
 * identity its certificate must carry (checked exactly by the waypoint, fail closed).
 */
public record Endpoint(InetAddress address, int port, SpiffeId identity) {
  public Endpoint {
    Objects.requireNonNull(address, "address");
    Objects.requireNonNull(identity, "identity");
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("endpoint " + address + ": port out of range: " + port);
    }
  }

  /** {@code ip:port}, the CONNECT authority and Envoy's endpoint id ({@code [v6]:port} for v6). */
  public String hostPort() {
    String ip = address.getHostAddress();
    return (ip.contains(":") ? "[" + ip + "]" : ip) + ":" + port;
  }
}
