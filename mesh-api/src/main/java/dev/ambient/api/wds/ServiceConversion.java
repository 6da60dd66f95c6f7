package dev.ambient.api.wds;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.StringValue;
import dev.ambient.api.model.GatewayAddress;
import dev.ambient.api.model.LoadBalancing;
import dev.ambient.api.model.Service;
import dev.ambient.api.model.ServicePort;
import dev.ambient.api.workload.v1.Extension;
import dev.ambient.api.workload.v1.NetworkAddress;
import dev.ambient.api.workload.v1.Port;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;

/**
 * {@link Service} to and from {@code istio.workload.Service}. Endpoints are not part of the message
 * (each workload names its services); the caller supplies them when decoding.
 *
 * <p>Load balancing: Istio's message describes locality preferences, not an algorithm, so the
 * model's choice travels in an {@link Extension} named {@link
 * WorkloadProtos#LOAD_BALANCING_EXTENSION} holding a {@code google.protobuf.StringValue} (absent
 * means ROUND_ROBIN); Istio's ztunnel ignores extensions it does not know. Received locality
 * preferences are accepted but not applied in mode FAILOVER (a preference, so ignoring it only
 * costs locality) and refused in modes STRICT and PASSTHROUGH, which would change which endpoints
 * are eligible at all.
 */
final class ServiceConversion {
  private ServiceConversion() {}

  static dev.ambient.api.workload.v1.Service toProto(Service service) {
    dev.ambient.api.workload.v1.Service.Builder out =
        dev.ambient.api.workload.v1.Service.newBuilder()
            .setName(service.name())
            .setNamespace(service.namespace())
            .setHostname(service.hostname())
            .addAllSubjectAltNames(service.subjectAltNames());
    for (InetAddress vip : service.vips()) {
      out.addAddresses(NetworkAddress.newBuilder().setNetwork("").setAddress(IpBytes.of(vip)));
    }
    for (ServicePort port : service.ports()) {
      out.addPorts(toProto(port));
    }
    if (service.waypoint() != null) {
      out.setWaypoint(GatewayConversion.toProto(service.waypoint()));
    }
    if (service.loadBalancing() != LoadBalancing.ROUND_ROBIN) {
      out.addExtensions(
          Extension.newBuilder()
              .setName(WorkloadProtos.LOAD_BALANCING_EXTENSION)
              .setConfig(Any.pack(StringValue.of(service.loadBalancing().name()))));
    }
    return out.build();
  }

  static Port toProto(ServicePort port) {
    return Port.newBuilder().setServicePort(port.port()).setTargetPort(port.targetPort()).build();
  }

  /** Decodes a service, or returns null after recording every problem found in it. */
  static Service fromProto(
      dev.ambient.api.workload.v1.Service proto,
      List<String> endpoints,
      Problems problems,
      String resource) {
    int before = problems.size();
    check(problems, resource, "name", Names.checkDnsLabel(proto.getName()));
    check(problems, resource, "namespace", Names.checkDnsLabel(proto.getNamespace()));
    check(problems, resource, "hostname", Names.checkDnsSubdomain(proto.getHostname()));
    List<InetAddress> vips = new ArrayList<>();
    for (int i = 0; i < proto.getAddressesCount(); i++) {
      NetworkAddress a = proto.getAddresses(i);
      if (!a.getNetwork().isEmpty()) {
        problems.add(
            resource,
            "addresses[" + i + "].network",
            "only the default (empty) network is supported, got "
                + Problems.printable(a.getNetwork()));
        continue;
      }
      InetAddress ip =
          IpBytes.parse(a.getAddress(), problems, resource, "addresses[" + i + "].address");
      if (ip != null) {
        vips.add(ip);
      }
    }
    List<ServicePort> ports = new ArrayList<>();
    for (int i = 0; i < proto.getPortsCount(); i++) {
      ServicePort port = fromProto(proto.getPorts(i), problems, resource, "ports[" + i + "]");
      if (port != null) {
        ports.add(port);
      }
    }
    for (int i = 0; i < proto.getSubjectAltNamesCount(); i++) {
      if (proto.getSubjectAltNames(i).isEmpty()) {
        problems.add(resource, "subject_alt_names[" + i + "]", "must not be empty");
      }
    }
    GatewayAddress waypoint =
        proto.hasWaypoint()
            ? GatewayConversion.fromProto(proto.getWaypoint(), problems, resource, "waypoint")
            : null;
    checkLocality(proto, problems, resource);
    if (proto.getIpFamilies() == dev.ambient.api.workload.v1.IPFamilies.UNRECOGNIZED) {
      problems.add(resource, "ip_families", "unknown value " + proto.getIpFamiliesValue());
    }
    LoadBalancing loadBalancing = loadBalancing(proto, problems, resource);
    if (problems.size() != before) {
      return null;
    }
    return new Service(
        proto.getName(),
        proto.getNamespace(),
        proto.getHostname(),
        vips,
        ports,
        endpoints,
        loadBalancing,
        waypoint,
        proto.getSubjectAltNamesList());
  }

  /** Decodes a port, or returns null after recording why it is out of range. */
  static ServicePort fromProto(Port port, Problems problems, String resource, String field) {
    int servicePort = port.getServicePort();
    int targetPort = port.getTargetPort();
    boolean ok = true;
    if (servicePort < 1 || servicePort > 65535) {
      problems.add(
          resource,
          field + ".service_port",
          "port " + Integer.toUnsignedString(servicePort) + " out of range 1..65535");
      ok = false;
    }
    if (targetPort < 0 || targetPort > 65535) {
      problems.add(
          resource,
          field + ".target_port",
          "port " + Integer.toUnsignedString(targetPort) + " out of range 0..65535");
      ok = false;
    }
    if (port.getAppProtocol() == dev.ambient.api.workload.v1.AppProtocol.UNRECOGNIZED) {
      problems.add(
          resource, field + ".app_protocol", "unknown value " + port.getAppProtocolValue());
      ok = false;
    }
    return ok ? new ServicePort(servicePort, targetPort) : null;
  }

  private static void checkLocality(
      dev.ambient.api.workload.v1.Service proto, Problems problems, String resource) {
    if (!proto.hasLoadBalancing()) {
      return;
    }
    dev.ambient.api.workload.v1.LoadBalancing lb = proto.getLoadBalancing();
    switch (lb.getMode()) {
      case UNSPECIFIED_MODE, FAILOVER -> {}
      case STRICT, PASSTHROUGH ->
          problems.add(
              resource,
              "load_balancing.mode",
              lb.getMode() + " is not supported by this data plane");
      case UNRECOGNIZED ->
          problems.add(resource, "load_balancing.mode", "unknown value " + lb.getModeValue());
    }
    for (int i = 0; i < lb.getRoutingPreferenceCount(); i++) {
      if (lb.getRoutingPreference(i)
          == dev.ambient.api.workload.v1.LoadBalancing.Scope.UNRECOGNIZED) {
        problems.add(
            resource,
            "load_balancing.routing_preference[" + i + "]",
            "unknown value " + lb.getRoutingPreferenceValue(i));
      }
    }
    if (lb.getHealthPolicy()
        == dev.ambient.api.workload.v1.LoadBalancing.HealthPolicy.UNRECOGNIZED) {
      problems.add(
          resource, "load_balancing.health_policy", "unknown value " + lb.getHealthPolicyValue());
    }
  }

  private static LoadBalancing loadBalancing(
      dev.ambient.api.workload.v1.Service proto, Problems problems, String resource) {
    LoadBalancing result = LoadBalancing.ROUND_ROBIN;
    boolean seen = false;
    for (int i = 0; i < proto.getExtensionsCount(); i++) {
      Extension ext = proto.getExtensions(i);
      if (!ext.getName().equals(WorkloadProtos.LOAD_BALANCING_EXTENSION)) {
        continue; // someone else's extension: not ours to judge
      }
      String field = "extensions[" + i + "]";
      if (seen) {
        problems.add(resource, field, "duplicate " + WorkloadProtos.LOAD_BALANCING_EXTENSION);
        continue;
      }
      seen = true;
      if (!ext.getConfig().is(StringValue.class)) {
        problems.add(
            resource,
            field + ".config",
            "expected a google.protobuf.StringValue, got "
                + Problems.printable(ext.getConfig().getTypeUrl()));
        continue;
      }
      String value;
      try {
        value = ext.getConfig().unpack(StringValue.class).getValue();
      } catch (InvalidProtocolBufferException e) {
        problems.add(resource, field + ".config", "malformed StringValue");
        continue;
      }
      try {
        result = LoadBalancing.valueOf(value);
      } catch (IllegalArgumentException e) {
        problems.add(
            resource, field + ".config", "unknown load balancing " + Problems.printable(value));
      }
    }
    return result;
  }

  private static void check(Problems problems, String resource, String field, String error) {
    if (error != null) {
      problems.add(resource, field, error);
    }
  }
}
