package dev.ambient.api.wds;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Any;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.EnumDescriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import dev.ambient.api.security.v1.Authorization;
import dev.ambient.api.security.v1.Group;
import dev.ambient.api.security.v1.Rules;
import dev.ambient.api.security.v1.ServiceAccountMatch;
import dev.ambient.api.workload.v1.Address;
import dev.ambient.api.workload.v1.ApplicationTunnel;
import dev.ambient.api.workload.v1.GatewayAddress;
import dev.ambient.api.workload.v1.LoadBalancing;
import dev.ambient.api.workload.v1.NetworkAddress;
import dev.ambient.api.workload.v1.Port;
import dev.ambient.api.workload.v1.Service;
import dev.ambient.api.workload.v1.Workload;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Pins the wire contract with Istio: full names (hence type URLs) and field numbers, as verified
 * against istio/istio pkg/workloadapi and istio/ztunnel proto/. A failing assertion here means an
 * edit broke interoperability, not that the test needs updating.
 */
class WorkloadProtoContractTest {

  @Test
  void fullNamesGiveIstiosTypeUrls() {
    assertThat(Any.pack(Address.getDefaultInstance()).getTypeUrl())
        .isEqualTo("type.googleapis.com/istio.workload.Address")
        .isEqualTo(WorkloadProtos.ADDRESS_TYPE_URL);
    assertThat(Any.pack(Authorization.getDefaultInstance()).getTypeUrl())
        .isEqualTo("type.googleapis.com/istio.security.Authorization")
        .isEqualTo(WorkloadProtos.AUTHORIZATION_TYPE_URL);
    assertThat(Workload.getDescriptor().getFullName()).isEqualTo("istio.workload.Workload");
    assertThat(Service.getDescriptor().getFullName()).isEqualTo("istio.workload.Service");
    // Istio's names, not ztunnel's Rule/Clause aliases (same wire numbers).
    assertThat(Group.getDescriptor().getFullName()).isEqualTo("istio.security.Group");
    assertThat(Rules.getDescriptor().getFullName()).isEqualTo("istio.security.Rules");
  }

  @Test
  void addressOneof() {
    assertFields(Address.getDescriptor(), Map.of("workload", 1, "service", 2));
    assertThat(Address.getDescriptor().findFieldByName("workload").getContainingOneof().getName())
        .isEqualTo("type");
    assertThat(Address.getDescriptor().findFieldByName("service").getContainingOneof().getName())
        .isEqualTo("type");
  }

  @Test
  void workloadFields() {
    assertFields(
        Workload.getDescriptor(),
        Map.ofEntries(
            Map.entry("uid", 20),
            Map.entry("name", 1),
            Map.entry("namespace", 2),
            Map.entry("addresses", 3),
            Map.entry("hostname", 21),
            Map.entry("network", 4),
            Map.entry("tunnel_protocol", 5),
            Map.entry("trust_domain", 6),
            Map.entry("service_account", 7),
            Map.entry("waypoint", 8),
            Map.entry("network_gateway", 19),
            Map.entry("node", 9),
            Map.entry("canonical_name", 10),
            Map.entry("canonical_revision", 11),
            Map.entry("workload_type", 12),
            Map.entry("workload_name", 13),
            Map.entry("native_tunnel", 14),
            Map.entry("application_tunnel", 23),
            Map.entry("services", 22),
            Map.entry("authorization_policies", 16),
            Map.entry("status", 17),
            Map.entry("cluster_id", 18),
            Map.entry("locality", 24),
            Map.entry("network_mode", 25),
            Map.entry("extensions", 26),
            Map.entry("capacity", 27)));
    assertThat(Workload.getDescriptor().findFieldByNumber(15)).as("15 is reserved").isNull();
    assertThat(Workload.getDescriptor().findFieldByName("addresses").getType())
        .isEqualTo(FieldDescriptor.Type.BYTES);
    assertThat(Workload.getDescriptor().findFieldByName("services").isMapField()).isTrue();
  }

  @Test
  void serviceAndHelperFields() {
    assertFields(
        Service.getDescriptor(),
        Map.ofEntries(
            Map.entry("name", 1),
            Map.entry("namespace", 2),
            Map.entry("hostname", 3),
            Map.entry("addresses", 4),
            Map.entry("ports", 5),
            Map.entry("subject_alt_names", 6),
            Map.entry("waypoint", 7),
            Map.entry("load_balancing", 8),
            Map.entry("ip_families", 9),
            Map.entry("extensions", 10),
            Map.entry("canonical", 11),
            Map.entry("ingress_use_waypoint", 12)));
    assertFields(NetworkAddress.getDescriptor(), Map.of("network", 1, "address", 2));
    assertFields(
        GatewayAddress.getDescriptor(), Map.of("hostname", 1, "address", 2, "hbone_mtls_port", 3));
    assertThat(GatewayAddress.getDescriptor().findFieldByNumber(4)).as("4 is reserved").isNull();
    assertFields(
        Port.getDescriptor(), Map.of("service_port", 1, "target_port", 2, "app_protocol", 3));
    assertFields(
        LoadBalancing.getDescriptor(),
        Map.of("routing_preference", 1, "mode", 2, "health_policy", 3));
    assertFields(ApplicationTunnel.getDescriptor(), Map.of("protocol", 1, "port", 2));
  }

  @Test
  void workloadEnums() {
    assertEnum(
        dev.ambient.api.workload.v1.TunnelProtocol.getDescriptor(),
        Map.of("NONE", 0, "HBONE", 1, "LEGACY_ISTIO_MTLS", 2));
    assertEnum(
        dev.ambient.api.workload.v1.WorkloadType.getDescriptor(),
        Map.of("DEPLOYMENT", 0, "CRONJOB", 1, "POD", 2, "JOB", 3));
    assertEnum(
        dev.ambient.api.workload.v1.WorkloadStatus.getDescriptor(),
        Map.of("HEALTHY", 0, "UNHEALTHY", 1));
    assertEnum(
        LoadBalancing.Mode.getDescriptor(),
        Map.of("UNSPECIFIED_MODE", 0, "STRICT", 1, "FAILOVER", 2, "PASSTHROUGH", 3));
    assertEnum(
        LoadBalancing.Scope.getDescriptor(),
        Map.of(
            "UNSPECIFIED_SCOPE",
            0,
            "REGION",
            1,
            "ZONE",
            2,
            "SUBZONE",
            3,
            "NODE",
            4,
            "CLUSTER",
            5,
            "NETWORK",
            6));
    assertEnum(
        LoadBalancing.HealthPolicy.getDescriptor(), Map.of("ONLY_HEALTHY", 0, "ALLOW_ALL", 1));
    assertEnum(
        dev.ambient.api.workload.v1.IPFamilies.getDescriptor(),
        Map.of("AUTOMATIC", 0, "IPV4_ONLY", 1, "IPV6_ONLY", 2, "DUAL", 3));
  }

  @Test
  void authorizationFields() {
    assertFields(
        Authorization.getDescriptor(),
        Map.of("name", 1, "namespace", 2, "scope", 3, "action", 4, "groups", 5, "dry_run", 6));
    assertFields(Group.getDescriptor(), Map.of("rules", 1));
    assertFields(Rules.getDescriptor(), Map.of("matches", 2));
    assertFields(
        dev.ambient.api.security.v1.Match.getDescriptor(),
        Map.ofEntries(
            Map.entry("namespaces", 1),
            Map.entry("not_namespaces", 2),
            Map.entry("principals", 3),
            Map.entry("not_principals", 4),
            Map.entry("source_ips", 5),
            Map.entry("not_source_ips", 6),
            Map.entry("destination_ips", 7),
            Map.entry("not_destination_ips", 8),
            Map.entry("destination_ports", 9),
            Map.entry("not_destination_ports", 10),
            Map.entry("service_accounts", 11),
            Map.entry("not_service_accounts", 12)));
    assertFields(
        dev.ambient.api.security.v1.Address.getDescriptor(), Map.of("address", 1, "length", 2));
    assertFields(
        dev.ambient.api.security.v1.StringMatch.getDescriptor(),
        Map.of("exact", 1, "prefix", 2, "suffix", 3, "presence", 4));
    assertFields(ServiceAccountMatch.getDescriptor(), Map.of("namespace", 1, "serviceAccount", 2));
    assertEnum(
        dev.ambient.api.security.v1.Scope.getDescriptor(),
        Map.of("GLOBAL", 0, "NAMESPACE", 1, "WORKLOAD_SELECTOR", 2));
    assertEnum(dev.ambient.api.security.v1.Action.getDescriptor(), Map.of("ALLOW", 0, "DENY", 1));
  }

  private static void assertFields(Descriptor message, Map<String, Integer> expected) {
    expected.forEach(
        (name, number) -> {
          FieldDescriptor field = message.findFieldByName(name);
          assertThat(field).as("%s.%s exists", message.getFullName(), name).isNotNull();
          assertThat(field.getNumber())
              .as("%s.%s number", message.getFullName(), name)
              .isEqualTo(number);
        });
    assertThat(message.getFields())
        .as("%s declares no field beyond the verified ones", message.getFullName())
        .hasSize(expected.size());
  }

  private static void assertEnum(EnumDescriptor e, Map<String, Integer> expected) {
    expected.forEach(
        (name, number) -> {
          assertThat(e.findValueByName(name)).as("%s.%s exists", e.getFullName(), name).isNotNull();
          assertThat(e.findValueByName(name).getNumber())
              .as("%s.%s number", e.getFullName(), name)
              .isEqualTo(number);
        });
    assertThat(e.getValues()).hasSize(expected.size());
  }
}
