package dev.ambient.api.wds;

import dev.ambient.api.model.GatewayAddress;
import dev.ambient.api.workload.v1.NamespacedHostname;
import dev.ambient.api.workload.v1.NetworkAddress;
import java.net.InetAddress;

/**
 * A waypoint reference ({@link GatewayAddress}) to and from {@code istio.workload.GatewayAddress}.
 */
final class GatewayConversion {
  private GatewayConversion() {}

  static dev.ambient.api.workload.v1.GatewayAddress toProto(GatewayAddress gateway) {
    dev.ambient.api.workload.v1.GatewayAddress.Builder out =
        dev.ambient.api.workload.v1.GatewayAddress.newBuilder()
            .setHboneMtlsPort(gateway.hbonePort());
    if (gateway.address() != null) {
      out.setAddress(
          NetworkAddress.newBuilder().setNetwork("").setAddress(IpBytes.of(gateway.address())));
    } else {
      // "<namespace>/<hostname>"; without a slash the whole text is the host name (and the
      // receiving side will report the empty namespace).
      String name = gateway.namespacedHostname();
      int slash = name.indexOf('/');
      out.setHostname(
          NamespacedHostname.newBuilder()
              .setNamespace(slash < 0 ? "" : name.substring(0, slash))
              .setHostname(name.substring(slash + 1)));
    }
    return out.build();
  }

  /** Decodes a gateway reference, or returns null after recording why it is unusable. */
  static GatewayAddress fromProto(
      dev.ambient.api.workload.v1.GatewayAddress proto,
      Problems problems,
      String resource,
      String field) {
    int port = proto.getHboneMtlsPort();
    if (port < 1 || port > 65535) {
      problems.add(
          resource,
          field + ".hbone_mtls_port",
          "port " + Integer.toUnsignedString(port) + " out of range 1..65535");
      return null;
    }
    switch (proto.getDestinationCase()) {
      case HOSTNAME -> {
        NamespacedHostname h = proto.getHostname();
        String nsError = Names.checkDnsLabel(h.getNamespace());
        String hostError = Names.checkDnsSubdomain(h.getHostname());
        if (nsError != null) {
          problems.add(resource, field + ".hostname.namespace", nsError);
        }
        if (hostError != null) {
          problems.add(resource, field + ".hostname.hostname", hostError);
        }
        if (nsError != null || hostError != null) {
          return null;
        }
        return new GatewayAddress(h.getNamespace() + "/" + h.getHostname(), null, port);
      }
      case ADDRESS -> {
        NetworkAddress a = proto.getAddress();
        if (!a.getNetwork().isEmpty()) {
          problems.add(
              resource,
              field + ".address.network",
              "only the default (empty) network is supported, got "
                  + Problems.printable(a.getNetwork()));
          return null;
        }
        InetAddress ip =
            IpBytes.parse(a.getAddress(), problems, resource, field + ".address.address");
        return ip == null ? null : new GatewayAddress(null, ip, port);
      }
      default -> {
        problems.add(resource, field, "neither hostname nor address is set");
        return null;
      }
    }
  }
}
