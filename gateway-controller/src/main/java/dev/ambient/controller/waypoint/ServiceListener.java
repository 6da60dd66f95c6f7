package dev.ambient.controller.waypoint;

import java.net.InetAddress;
import java.util.List;
import java.util.Objects;

/**
 * What the waypoint does with traffic for one service VIP and port: route it as HTTP through {@code
 * routes}, or proxy it at L4 to {@code tcpBackend}.
 */
public record ServiceListener(
    InetAddress vip,
    int port,
    BackendRef service,
    ServiceProtocol protocol,
    List<RouteRule> routes,
    BackendRef tcpBackend) {
  public ServiceListener {
    Objects.requireNonNull(vip, "vip");
    Objects.requireNonNull(service, "service");
    Objects.requireNonNull(protocol, "protocol");
    routes = List.copyOf(routes);
    if (protocol == ServiceProtocol.HTTP && routes.isEmpty()) {
      throw new IllegalArgumentException(service.service() + ":" + port + ": HTTP without routes");
    }
    if (protocol == ServiceProtocol.TCP && tcpBackend == null) {
      throw new IllegalArgumentException(service.service() + ":" + port + ": TCP without backend");
    }
  }

  public static ServiceListener http(InetAddress vip, BackendRef self, List<RouteRule> routes) {
    return new ServiceListener(vip, self.port(), self, ServiceProtocol.HTTP, routes, null);
  }

  public static ServiceListener tcp(InetAddress vip, BackendRef self) {
    return new ServiceListener(vip, self.port(), self, ServiceProtocol.TCP, List.of(), self);
  }

  /** {@code vip:port}, what clients put in the CONNECT authority. */
  public String hostPort() {
    String ip = vip.getHostAddress();
    return (ip.contains(":") ? "[" + ip + "]" : ip) + ":" + port;
  }
}
