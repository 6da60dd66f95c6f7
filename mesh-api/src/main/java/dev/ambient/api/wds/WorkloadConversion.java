package dev.ambient.api.wds;

import dev.ambient.api.model.GatewayAddress;
import dev.ambient.api.model.TunnelProtocol;
import dev.ambient.api.model.Workload;
import dev.ambient.api.spiffe.SpiffeId;
import dev.ambient.api.workload.v1.ApplicationTunnel;
import dev.ambient.api.workload.v1.PortList;
import dev.ambient.api.workload.v1.WorkloadStatus;
import dev.ambient.api.workload.v1.WorkloadType;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** {@link Workload} to and from {@code istio.workload.Workload}. */
final class WorkloadConversion {
  /** Istio's defaults for identity fields a control plane may leave empty. */
  static final String DEFAULT_TRUST_DOMAIN = "cluster.local";

  static final String DEFAULT_SERVICE_ACCOUNT = "default";

  private WorkloadConversion() {}

  /**
   * @param services "namespace/hostname" of each service the workload serves, with its ports
   * @param selectorPolicies "namespace/name" of the selector-scoped policies that select it
   */
  static dev.ambient.api.workload.v1.Workload toProto(
      Workload w, Map<String, PortList> services, List<String> selectorPolicies) {
    dev.ambient.api.workload.v1.Workload.Builder out =
        dev.ambient.api.workload.v1.Workload.newBuilder()
            .setUid(w.uid())
            .setName(w.name())
            .setNamespace(w.namespace())
            .setNetwork("")
            .setTunnelProtocol(
                w.protocol() == TunnelProtocol.HBONE
                    ? dev.ambient.api.workload.v1.TunnelProtocol.HBONE
                    : dev.ambient.api.workload.v1.TunnelProtocol.NONE)
            .setTrustDomain(w.trustDomain())
            .setServiceAccount(w.serviceAccount())
            .setNode(w.node())
            .setCanonicalName(w.canonicalName())
            .setCanonicalRevision(w.canonicalRevision())
            .setWorkloadType(WorkloadType.POD)
            .setWorkloadName(w.name())
            .setStatus(WorkloadStatus.HEALTHY)
            .setClusterId(WorkloadProtos.CLUSTER_ID)
            .putAllServices(services)
            .addAllAuthorizationPolicies(selectorPolicies);
    for (InetAddress a : w.addresses()) {
      out.addAddresses(IpBytes.of(a));
    }
    if (w.waypoint() != null) {
      out.setWaypoint(GatewayConversion.toProto(w.waypoint()));
    }
    return out.build();
  }

  /** A decoded workload and what it says about services it serves. */
  record Decoded(Workload workload, List<String> serviceKeys, boolean healthy) {}

  /**
   * Decodes a workload, or returns null after recording every problem found in it. Service and
   * policy references are checked by the caller, which knows the other resources.
   */
  static Decoded fromProto(
      dev.ambient.api.workload.v1.Workload p,
      Map<String, String> labels,
      Problems problems,
      String resource) {
    int before = problems.size();
    check(problems, resource, "uid", Names.checkUid(p.getUid()));
    check(problems, resource, "name", Names.checkDnsSubdomain(p.getName()));
    String nsError = Names.checkDnsLabel(p.getNamespace());
    check(problems, resource, "namespace", nsError);
    List<InetAddress> addresses = new ArrayList<>(p.getAddressesCount());
    for (int i = 0; i < p.getAddressesCount(); i++) {
      InetAddress ip = IpBytes.parse(p.getAddresses(i), problems, resource, "addresses[" + i + "]");
      if (ip != null) {
        addresses.add(ip);
      }
    }
    if (!p.getHostname().isEmpty()) {
      problems.add(
          resource, "hostname", "DNS-resolved workloads are not supported by this data plane");
    }
    if (!p.getNetwork().isEmpty()) {
      problems.add(
          resource,
          "network",
          "only the default (empty) network is supported, got "
              + Problems.printable(p.getNetwork()));
    }
    TunnelProtocol protocol =
        switch (p.getTunnelProtocol()) {
          case NONE -> TunnelProtocol.NONE;
          case HBONE -> TunnelProtocol.HBONE;
          case LEGACY_ISTIO_MTLS -> {
            problems.add(
                resource,
                "tunnel_protocol",
                "LEGACY_ISTIO_MTLS is not supported by this data plane");
            yield null;
          }
          case UNRECOGNIZED -> {
            problems.add(
                resource, "tunnel_protocol", "unknown value " + p.getTunnelProtocolValue());
            yield null;
          }
        };
    String trustDomain = p.getTrustDomain().isEmpty() ? DEFAULT_TRUST_DOMAIN : p.getTrustDomain();
    String serviceAccount =
        p.getServiceAccount().isEmpty() ? DEFAULT_SERVICE_ACCOUNT : p.getServiceAccount();
    String saError = Names.checkDnsSubdomain(serviceAccount);
    check(problems, resource, "service_account", saError);
    if (nsError == null && saError == null) {
      try {
        SpiffeId.of(trustDomain, p.getNamespace(), serviceAccount);
      } catch (IllegalArgumentException e) {
        problems.add(resource, "trust_domain", e.getMessage());
      }
    }
    GatewayAddress waypoint =
        p.hasWaypoint()
            ? GatewayConversion.fromProto(p.getWaypoint(), problems, resource, "waypoint")
            : null;
    if (p.hasNetworkGateway()) {
      problems.add(
          resource,
          "network_gateway",
          "multi-network gateways are not supported by this data plane");
    }
    if (p.getWorkloadType() == WorkloadType.UNRECOGNIZED) {
      problems.add(resource, "workload_type", "unknown value " + p.getWorkloadTypeValue());
    }
    if (p.hasApplicationTunnel()) {
      ApplicationTunnel tunnel = p.getApplicationTunnel();
      if (tunnel.getProtocol() == ApplicationTunnel.Protocol.UNRECOGNIZED) {
        problems.add(
            resource, "application_tunnel.protocol", "unknown value " + tunnel.getProtocolValue());
      } else if (tunnel.getProtocol() != ApplicationTunnel.Protocol.NONE || tunnel.getPort() != 0) {
        problems.add(
            resource,
            "application_tunnel",
            "application tunnels are not supported by this data plane");
      }
    }
    boolean healthy =
        switch (p.getStatus()) {
          case HEALTHY -> true;
          case UNHEALTHY -> false;
          case UNRECOGNIZED -> {
            problems.add(resource, "status", "unknown value " + p.getStatusValue());
            yield false;
          }
        };
    switch (p.getNetworkMode()) {
      case STANDARD -> {}
      case HOST_NETWORK ->
          problems.add(
              resource,
              "network_mode",
              "host-network workloads are not supported by this data plane");
      case UNRECOGNIZED ->
          problems.add(resource, "network_mode", "unknown value " + p.getNetworkModeValue());
    }
    if (problems.size() != before) {
      return null;
    }
    Workload workload =
        new Workload(
            p.getUid(),
            p.getName(),
            p.getNamespace(),
            serviceAccount,
            p.getNode(),
            trustDomain,
            addresses,
            protocol,
            waypoint,
            p.getCanonicalName().isEmpty() ? null : p.getCanonicalName(),
            p.getCanonicalRevision().isEmpty() ? null : p.getCanonicalRevision(),
            labels);
    return new Decoded(workload, List.copyOf(p.getServicesMap().keySet()), healthy);
  }

  private static void check(Problems problems, String resource, String field, String error) {
    if (error != null) {
      problems.add(resource, field, error);
    }
  }
}
