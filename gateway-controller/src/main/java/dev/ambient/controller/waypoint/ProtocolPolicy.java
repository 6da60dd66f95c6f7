package dev.ambient.controller.waypoint;

import dev.ambient.api.model.Service;
import dev.ambient.api.model.ServicePort;
import java.util.Locale;
import java.util.Set;

/** Decides whether a service port is HTTP, TCP or detected per connection in the waypoint. */
@FunctionalInterface
public interface ProtocolPolicy {
  /** Every port HTTP (tests and the local fixtures). */
  ProtocolPolicy ALL_HTTP = (service, port) -> ServiceProtocol.HTTP;

  /**
   * Istio's protocol selection: the port's {@code appProtocol}, else its name's {@code
   * <protocol>[-<suffix>]}. {@code http}, {@code http2}, {@code h2c}, {@code grpc} and {@code
   * grpc-web} are HTTP; {@code tcp}, {@code tls}, {@code https} (the waypoint does not terminate
   * the application's TLS), {@code mongo}, {@code mysql}, {@code redis} and the rest of what Istio
   * lists as opaque are TCP; anything else is detected from the first bytes, as Istio sniffs.
   */
  ProtocolPolicy DECLARED = (service, port) -> declared(port);

  ServiceProtocol protocol(Service service, ServicePort port);

  /** The protocol a port declares, or {@link ServiceProtocol#DETECT}. */
  static ServiceProtocol declared(ServicePort port) {
    if (port.appProtocol() != null) {
      ServiceProtocol p = byName(port.appProtocol().toLowerCase(Locale.ROOT));
      if (p != null) {
        return p;
      }
    }
    if (port.name() != null) {
      String name = port.name().toLowerCase(Locale.ROOT);
      int dash = name.indexOf('-');
      ServiceProtocol p = byName(name);
      if (p == null && dash > 0) {
        p = byName(name.substring(0, dash));
      }
      if (p != null) {
        return p;
      }
    }
    return ServiceProtocol.DETECT;
  }

  private static ServiceProtocol byName(String protocol) {
    if (Set.of("http", "http2", "h2c", "grpc", "grpc-web", "kubernetes.io/h2c")
        .contains(protocol)) {
      return ServiceProtocol.HTTP;
    }
    if (Set.of(
            "tcp",
            "tls",
            "https",
            "mongo",
            "mysql",
            "redis",
            "kubernetes.io/ws",
            "kubernetes.io/wss")
        .contains(protocol)) {
      return ServiceProtocol.TCP;
    }
    return null;
  }
}
