package dev.ambient.controller.waypoint;

import dev.ambient.controller.wasm.WasmFilter;
import dev.ambient.controller.waypoint.authz.L7Policy;
import java.net.InetAddress;
import java.util.List;
import java.util.Objects;

/**
 * What the waypoint does with traffic for one service VIP and port: route it as HTTP through {@code
 * routes}, or proxy it at L4 to {@code tcpBackend}, or (DETECT) either, by what each connection's
 * first bytes are; {@code policies} are the AuthorizationPolicies the waypoint enforces on that
 * traffic (empty: everything is allowed); {@code wasm} the WasmPlugins it runs on that traffic
 * (HTTP only), in filter-chain order.
 */
public record ServiceListener(
    InetAddress vip,
    int port,
    BackendRef service,
    ServiceProtocol protocol,
    List<RouteRule> routes,
    BackendRef tcpBackend,
    List<L7Policy> policies,
    List<WasmFilter> wasm) {
  public ServiceListener {
    Objects.requireNonNull(vip, "vip");
    Objects.requireNonNull(service, "service");
    Objects.requireNonNull(protocol, "protocol");
    routes = List.copyOf(routes);
    policies = policies == null ? List.of() : List.copyOf(policies);
    wasm = wasm == null ? List.of() : List.copyOf(wasm);
    if (protocol != ServiceProtocol.TCP && routes.isEmpty()) {
      throw new IllegalArgumentException(service.service() + ":" + port + ": HTTP without routes");
    }
    if (protocol != ServiceProtocol.HTTP && tcpBackend == null) {
      throw new IllegalArgumentException(service.service() + ":" + port + ": TCP without backend");
    }
  }

  /** A listener without WasmPlugins. */
  public ServiceListener(
      InetAddress vip,
      int port,
      BackendRef service,
      ServiceProtocol protocol,
      List<RouteRule> routes,
      BackendRef tcpBackend,
      List<L7Policy> policies) {
    this(vip, port, service, protocol, routes, tcpBackend, policies, List.of());
  }

  /** A listener without policies. */
  public ServiceListener(
      InetAddress vip,
      int port,
      BackendRef service,
      ServiceProtocol protocol,
      List<RouteRule> routes,
      BackendRef tcpBackend) {
    this(vip, port, service, protocol, routes, tcpBackend, List.of());
  }

  /** The same listener enforcing {@code next} instead. */
  public ServiceListener withPolicies(List<L7Policy> next) {
    return new ServiceListener(vip, port, service, protocol, routes, tcpBackend, next, wasm);
  }

  /** The same listener running these WasmPlugins (ignored on TCP: they are HTTP filters). */
  public ServiceListener withWasm(List<WasmFilter> next) {
    return new ServiceListener(vip, port, service, protocol, routes, tcpBackend, policies, next);
  }

  public static ServiceListener http(InetAddress vip, BackendRef self, List<RouteRule> routes) {
    return new ServiceListener(vip, self.port(), self, ServiceProtocol.HTTP, routes, null);
  }

  public static ServiceListener tcp(InetAddress vip, BackendRef self) {
    return new ServiceListener(vip, self.port(), self, ServiceProtocol.TCP, List.of(), self);
  }

  /** HTTP through {@code routes} when the connection speaks HTTP, else TCP to the service. */
  public static ServiceListener detect(InetAddress vip, BackendRef self, List<RouteRule> routes) {
    return new ServiceListener(vip, self.port(), self, ServiceProtocol.DETECT, routes, self);
  }

  /** {@code vip:port}, what clients put in the CONNECT authority. */
  public String hostPort() {
    String ip = vip.getHostAddress();
    return (ip.contains(":") ? "[" + ip + "]" : ip) + ":" + port;
  }
}
