package dev.ambient.api.config;

import dev.ambient.api.authz.IpLiteral;
import dev.ambient.api.model.GatewayAddress;
import java.net.InetAddress;
import java.util.Set;

/** Reads {@code waypoint: {address: ip} | {service: ns/hostname}} with an optional hbonePort. */
final class GatewayReader {
  private static final Set<String> KEYS = Set.of("address", "service", "hbonePort");

  private GatewayReader() {}

  static GatewayAddress read(YamlMap parent, String key) {
    YamlMap m = parent.map(key);
    if (m == null) {
      return null;
    }
    Reporter r = m.reporter();
    m.rejectUnknown(KEYS);
    String address = m.string("address");
    String service = m.string("service");
    Integer port = m.port("hbonePort");
    int hbonePort = port == null ? GatewayAddress.DEFAULT_HBONE_PORT : port;
    if ((address == null) == (service == null)) {
      if (!m.has("address") && !m.has("service")) {
        r.field(parent.path(key), "needs exactly one of address or service");
      } else if (address != null) {
        r.field(parent.path(key), "set either address or service, not both");
      }
      return null;
    }
    if (address != null) {
      try {
        InetAddress ip = IpLiteral.parse(address);
        return new GatewayAddress(null, ip, hbonePort);
      } catch (IllegalArgumentException e) {
        r.field(m.path("address"), Text.quote(address) + " is not an IP address");
        return null;
      }
    }
    int slash = service.indexOf('/');
    String problem = null;
    if (slash <= 0 || slash == service.length() - 1 || service.indexOf('/', slash + 1) >= 0) {
      problem = Text.quote(service) + " is not <namespace>/<hostname>";
    } else {
      String nsProblem = Names.dnsLabel(service.substring(0, slash));
      String hostProblem = Names.dnsSubdomain(service.substring(slash + 1));
      problem =
          nsProblem != null
              ? "namespace " + nsProblem
              : hostProblem != null ? "hostname " + hostProblem : null;
    }
    if (problem != null) {
      r.field(m.path("service"), problem);
      return null;
    }
    return new GatewayAddress(service, null, hbonePort);
  }
}
