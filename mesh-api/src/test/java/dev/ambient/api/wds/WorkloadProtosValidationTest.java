package dev.ambient.api.wds;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.google.protobuf.Any;
import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.StringValue;
import dev.ambient.api.authz.AuthorizationPolicy;
import dev.ambient.api.authz.StringMatch;
import dev.ambient.api.model.InvalidMeshConfigException;
import dev.ambient.api.model.MeshConfig;
import dev.ambient.api.model.MeshState;
import dev.ambient.api.security.v1.Authorization;
import dev.ambient.api.security.v1.Group;
import dev.ambient.api.security.v1.Rules;
import dev.ambient.api.security.v1.ServiceAccountMatch;
import dev.ambient.api.workload.v1.Address;
import dev.ambient.api.workload.v1.ApplicationTunnel;
import dev.ambient.api.workload.v1.Extension;
import dev.ambient.api.workload.v1.GatewayAddress;
import dev.ambient.api.workload.v1.LoadBalancing;
import dev.ambient.api.workload.v1.NetworkAddress;
import dev.ambient.api.workload.v1.Port;
import dev.ambient.api.workload.v1.PortList;
import dev.ambient.api.workload.v1.Service;
import dev.ambient.api.workload.v1.TunnelProtocol;
import dev.ambient.api.workload.v1.Workload;
import dev.ambient.api.workload.v1.WorkloadStatus;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

/** Bad WDS input is refused with an error naming the resource and the field. */
class WorkloadProtosValidationTest {

  private static final String WEB_UID = "Kubernetes//Pod/shop/web-1";
  private static final String WEB_SERVICE = "shop/web.shop.svc.cluster.local";

  private static WdsResources valid() throws InvalidMeshConfigException {
    return WorkloadProtos.toProtos(MeshState.of(MeshFixture.config(), 1));
  }

  /** The fixture with the first workload (web-1) replaced by {@code edit} of it. */
  private static String rejectWorkload(UnaryOperator<Workload.Builder> edit) throws Exception {
    WdsResources wds = valid();
    List<Address> addresses = new ArrayList<>(wds.addresses());
    Workload web = addresses.get(0).getWorkload();
    addresses.set(0, Address.newBuilder().setWorkload(edit.apply(web.toBuilder())).build());
    return rejected(addresses, wds.authorizations());
  }

  /** The fixture with the web service replaced by {@code edit} of it. */
  private static String rejectService(UnaryOperator<Service.Builder> edit) throws Exception {
    WdsResources wds = valid();
    List<Address> addresses = new ArrayList<>(wds.addresses());
    int i = 3; // workloads first (3), then services
    assertThat(WorkloadProtos.resourceName(addresses.get(i))).isEqualTo(WEB_SERVICE);
    Service.Builder service = addresses.get(i).getService().toBuilder();
    addresses.set(i, Address.newBuilder().setService(edit.apply(service)).build());
    return rejected(addresses, wds.authorizations());
  }

  /** The fixture with the first policy (shop/allow-web) replaced by {@code edit} of it. */
  private static String rejectPolicy(UnaryOperator<Authorization.Builder> edit) throws Exception {
    WdsResources wds = valid();
    List<Authorization> policies = new ArrayList<>(wds.authorizations());
    policies.set(0, edit.apply(policies.get(0).toBuilder()).build());
    return rejected(wds.addresses(), policies);
  }

  private static String rejected(List<Address> addresses, List<Authorization> policies) {
    Throwable thrown = null;
    try {
      WorkloadProtos.toMeshConfig(addresses, policies);
    } catch (Throwable t) {
      thrown = t;
    }
    assertThat(thrown).isInstanceOf(InvalidMeshConfigException.class);
    return thrown.getMessage();
  }

  @Test
  void addressOfWrongLength() throws Exception {
    assertThat(rejectWorkload(w -> w.setAddresses(0, ByteString.copyFrom(new byte[5]))))
        .isEqualTo(
            "workload "
                + WEB_UID
                + ": field addresses[0]: an IP address must be 4 or 16 bytes, got 5");
    assertThat(rejectService(s -> s.setAddresses(1, NetworkAddress.newBuilder())))
        .contains("service \"" + WEB_SERVICE + "\": field addresses[1].address:")
        .contains("got 0");
  }

  @Test
  void emptyOrMalformedUid() throws Exception {
    assertThat(rejectWorkload(w -> w.setUid("")))
        .contains("workload #0: field uid: must not be empty");
    assertThat(rejectWorkload(w -> w.setUid("a b"))).contains("workload #0: field uid:");
  }

  @Test
  void invalidNames() throws Exception {
    assertThat(rejectWorkload(w -> w.setNamespace("Shop_NS")))
        .contains("workload " + WEB_UID + ": field namespace: not a DNS label");
    assertThat(rejectWorkload(w -> w.setName("")))
        .contains("workload " + WEB_UID + ": field name: must not be empty");
    assertThat(rejectWorkload(w -> w.setServiceAccount("a/b")))
        .contains("workload " + WEB_UID + ": field service_account:");
    assertThat(rejectWorkload(w -> w.setTrustDomain("bad domain")))
        .contains("workload " + WEB_UID + ": field trust_domain:");
    assertThat(rejectService(s -> s.setHostname("web..shop")))
        .contains(": field hostname: not a DNS name");
    assertThat(rejectPolicy(p -> p.setName("allow web")))
        .contains("authorization policy #0 \"shop/allow web\": field name:");
  }

  @Test
  void unknownEnumValues() throws Exception {
    assertThat(rejectWorkload(w -> w.setTunnelProtocolValue(7)))
        .contains("workload " + WEB_UID + ": field tunnel_protocol: unknown value 7");
    assertThat(rejectWorkload(w -> w.setWorkloadTypeValue(42)))
        .contains("field workload_type: unknown value 42");
    assertThat(rejectWorkload(w -> w.setStatusValue(3))).contains("field status: unknown value 3");
    assertThat(rejectPolicy(p -> p.setScopeValue(9)))
        .contains("authorization policy shop/allow-web: field scope: unknown value 9");
    assertThat(rejectPolicy(p -> p.setActionValue(2)))
        .contains("authorization policy shop/allow-web: field action: unknown value 2");
    assertThat(rejectService(s -> s.setPorts(0, s.getPorts(0).toBuilder().setAppProtocolValue(99))))
        .contains("field ports[0].app_protocol: unknown value 99");
    assertThat(rejectService(s -> s.setLoadBalancing(LoadBalancing.newBuilder().setModeValue(8))))
        .contains("field load_balancing.mode: unknown value 8");
  }

  @Test
  void unsupportedFeaturesAreRefusedNotIgnored() throws Exception {
    assertThat(rejectWorkload(w -> w.setTunnelProtocol(TunnelProtocol.LEGACY_ISTIO_MTLS)))
        .contains("field tunnel_protocol: LEGACY_ISTIO_MTLS is not supported");
    assertThat(rejectWorkload(w -> w.setNetwork("net-2"))).contains("field network:");
    assertThat(rejectWorkload(w -> w.setHostname("db.example.com"))).contains("field hostname:");
    assertThat(rejectWorkload(w -> w.setNetworkGateway(w.getWaypoint())))
        .contains("field network_gateway:");
    assertThat(
            rejectWorkload(
                w ->
                    w.setApplicationTunnel(
                        ApplicationTunnel.newBuilder()
                            .setProtocol(ApplicationTunnel.Protocol.PROXY))))
        .contains("field application_tunnel:");
    LoadBalancing strict = LoadBalancing.newBuilder().setMode(LoadBalancing.Mode.STRICT).build();
    assertThat(rejectService(s -> s.setLoadBalancing(strict)))
        .contains("field load_balancing.mode: STRICT is not supported");
  }

  @Test
  void badReferences() throws Exception {
    assertThat(rejectWorkload(w -> w.addAuthorizationPolicies("shop/missing")))
        .contains(
            "workload "
                + WEB_UID
                + ": field authorization_policies[1]: unknown authorization policy"
                + " \"shop/missing\"");
    String nope = "shop/nope.shop.svc.cluster.local";
    assertThat(rejectWorkload(w -> w.putServices(nope, PortList.getDefaultInstance())))
        .contains("field services[\"shop/nope.shop.svc.cluster.local\"]: unknown service");
    PortList otherTarget =
        PortList.newBuilder()
            .addPorts(Port.newBuilder().setServicePort(80).setTargetPort(9999))
            .build();
    assertThat(rejectWorkload(w -> w.putServices(WEB_SERVICE, otherTarget)))
        .contains("field services[\"" + WEB_SERVICE + "\"].ports[0]: port 80->9999 differs");
    // A selector policy from another namespace cannot be expressed with the model's selector.
    WdsResources wds = valid();
    List<Address> addresses = new ArrayList<>(wds.addresses());
    Workload db = addresses.get(2).getWorkload();
    addresses.set(
        2,
        Address.newBuilder()
            .setWorkload(db.toBuilder().addAuthorizationPolicies("shop/allow-web"))
            .build());
    assertThat(rejected(addresses, wds.authorizations()))
        .contains(
            "workload Kubernetes//Pod/data/db-0: field authorization_policies[0]: selector policy"
                + " \"shop/allow-web\" is in another namespace");
  }

  @Test
  void badGateways() throws Exception {
    GatewayAddress nowhere = GatewayAddress.newBuilder().setHboneMtlsPort(15008).build();
    assertThat(rejectWorkload(w -> w.setWaypoint(nowhere)))
        .contains("field waypoint: neither hostname nor address is set");
    assertThat(rejectWorkload(w -> w.setWaypoint(w.getWaypoint().toBuilder().setHboneMtlsPort(0))))
        .contains("field waypoint.hbone_mtls_port: port 0 out of range");
    assertThat(
            rejectService(s -> s.setWaypoint(s.getWaypoint().toBuilder().setHboneMtlsPort(70000))))
        .contains("field waypoint.hbone_mtls_port: port 70000 out of range");
  }

  @Test
  void badPolicyContent() throws Exception {
    assertThat(
            rejectFirstMatch(m -> m.setSourceIps(0, m.getSourceIps(0).toBuilder().setLength(33))))
        .contains(
            "authorization policy shop/allow-web:"
                + " field groups[0].rules[0].matches[0].source_ips[0].length: 33 exceeds 32");
    assertThat(
            rejectFirstMatch(
                m -> m.setNotSourceIps(0, m.getNotSourceIps(0).toBuilder().setLength(-1))))
        .contains(".not_source_ips[0].length: 4294967295 exceeds 32");
    assertThat(
            rejectFirstMatch(
                m -> m.addNamespaces(dev.ambient.api.security.v1.StringMatch.getDefaultInstance())))
        .contains(".matches[0].namespaces[1]: no exact, prefix, suffix or presence set");
    assertThat(rejectFirstMatch(m -> m.addDestinationPorts(0).addNotDestinationPorts(65536)))
        .contains(".destination_ports[2]: port 0 out of range")
        .contains(".not_destination_ports[1]: port 65536 out of range");
    assertThat(rejectFirstMatch(m -> m.addServiceAccounts(account("shop", "web"))))
        .contains(".service_accounts: cannot be combined with principals");
  }

  @Test
  void serviceAccountsBecomeExactPrincipalSuffixes() throws Exception {
    Authorization policy =
        Authorization.newBuilder()
            .setName("sa-only")
            .setNamespace("shop")
            .setScope(dev.ambient.api.security.v1.Scope.NAMESPACE)
            .addGroups(
                Group.newBuilder()
                    .addRules(
                        Rules.newBuilder()
                            .addMatches(
                                dev.ambient.api.security.v1.Match.newBuilder()
                                    .addServiceAccounts(account("shop", "web"))
                                    .addNotServiceAccounts(account("shop", "old")))))
            .build();
    MeshConfig config = WorkloadProtos.toMeshConfig(List.of(), List.of(policy));
    AuthorizationPolicy p = config.policies().get(0);
    var match = p.rules().get(0).clauses().get(0).matches().get(0);
    assertThat(match.principals()).containsExactly(new StringMatch.Suffix("/ns/shop/sa/web"));
    assertThat(match.notPrincipals()).containsExactly(new StringMatch.Suffix("/ns/shop/sa/old"));
    StringMatch web = match.principals().get(0);
    assertThat(web.matches("cluster.local/ns/shop/sa/web")).isTrue();
    assertThat(web.matches("other.org/ns/shop/sa/web")).isTrue();
    assertThat(web.matches("cluster.local/ns/xshop/sa/web")).isFalse();
    assertThat(web.matches("cluster.local/ns/shop/sa/xweb")).isFalse();
  }

  @Test
  void structuralProblems() throws Exception {
    WdsResources wds = valid();
    List<Address> addresses = new ArrayList<>(wds.addresses());
    addresses.add(Address.getDefaultInstance());
    addresses.add(wds.addresses().get(0));
    List<Authorization> policies = new ArrayList<>(wds.authorizations());
    policies.add(wds.authorizations().get(1));
    assertThat(rejected(addresses, policies))
        .contains("address #5: field type: neither workload nor service is set")
        .contains("workload " + WEB_UID + ": field uid: duplicate uid")
        .contains("authorization policy shop/deny-plaintext: field name: duplicate policy");
  }

  @Test
  void loadBalancingExtensionIsValidated() throws Exception {
    assertThat(rejectService(s -> s.setExtensions(0, loadBalancing(StringValue.of("RANDOM")))))
        .contains("field extensions[0].config: unknown load balancing \"RANDOM\"");
    assertThat(rejectService(s -> s.setExtensions(0, loadBalancing(Port.getDefaultInstance()))))
        .contains("field extensions[0].config: expected a google.protobuf.StringValue");
  }

  @Test
  void everyProblemIsReportedAtOnce() throws Exception {
    InvalidMeshConfigException e =
        assertThrows(
            InvalidMeshConfigException.class,
            () -> {
              WdsResources wds = valid();
              List<Address> addresses = new ArrayList<>(wds.addresses());
              Workload web = addresses.get(0).getWorkload();
              Workload.Builder bad =
                  web.toBuilder()
                      .setNamespace("")
                      .setTunnelProtocolValue(5)
                      .setAddresses(0, ByteString.EMPTY);
              addresses.set(0, Address.newBuilder().setWorkload(bad).build());
              WorkloadProtos.toMeshConfig(addresses, wds.authorizations());
            });
    assertThat(e.problems()).hasSizeGreaterThanOrEqualTo(3);
  }

  @Test
  void unhealthyWorkloadsAreNotEndpoints() throws Exception {
    WdsResources wds = valid();
    List<Address> addresses = new ArrayList<>(wds.addresses());
    Workload web = addresses.get(0).getWorkload();
    Workload.Builder unhealthy = web.toBuilder().setStatus(WorkloadStatus.UNHEALTHY);
    addresses.set(0, Address.newBuilder().setWorkload(unhealthy).build());
    MeshConfig config = WorkloadProtos.toMeshConfig(addresses, wds.authorizations());
    assertThat(config.services().get(0).endpoints()).containsExactly("Kubernetes//Pod/shop/web-2");
    assertThat(config.workloads()).hasSize(3);
  }

  @Test
  void istioDefaultsForElidedIdentityFields() throws Exception {
    WdsResources wds = valid();
    List<Address> addresses = new ArrayList<>(wds.addresses());
    Workload web = addresses.get(0).getWorkload();
    Workload.Builder elided = web.toBuilder().clearTrustDomain().clearServiceAccount();
    addresses.set(0, Address.newBuilder().setWorkload(elided).build());
    MeshConfig config = WorkloadProtos.toMeshConfig(addresses, wds.authorizations());
    assertThat(config.workloads().get(0).identity().uri())
        .isEqualTo("spiffe://cluster.local/ns/shop/sa/default");
  }

  /**
   * Corrupted bytes that still parse as protobuf must never escape as anything but
   * InvalidMeshConfigException. Deterministic seed, so a failure reproduces.
   */
  @Test
  void corruptedResourcesFailOnlyWithTheDocumentedException() throws Exception {
    WdsResources wds = valid();
    Random random = new Random(20261122L);
    int decodedOrRejected = 0;
    for (int round = 0; round < 2000; round++) {
      List<Address> addresses = new ArrayList<>();
      for (Address a : wds.addresses()) {
        byte[] bytes = a.toByteArray();
        if (random.nextInt(3) == 0) {
          bytes[random.nextInt(bytes.length)] = (byte) random.nextInt(256);
        }
        try {
          addresses.add(Address.parseFrom(bytes));
        } catch (InvalidProtocolBufferException e) {
          // not protobuf any more: the transport would reject it before us
        }
      }
      List<Authorization> policies = new ArrayList<>();
      for (Authorization p : wds.authorizations()) {
        byte[] bytes = p.toByteArray();
        if (bytes.length > 0 && random.nextInt(3) == 0) {
          bytes[random.nextInt(bytes.length)] = (byte) random.nextInt(256);
        }
        try {
          policies.add(Authorization.parseFrom(bytes));
        } catch (InvalidProtocolBufferException e) {
          // as above
        }
      }
      try {
        MeshConfig config = WorkloadProtos.toMeshConfig(addresses, policies);
        assertThat(config).isNotNull();
      } catch (InvalidMeshConfigException e) {
        assertThat(e.problems()).isNotEmpty();
        // The safety net in toMeshConfig must not be what caught it: validation should have.
        assertThat(e.getMessage()).doesNotContain("unexpected problem");
      }
      decodedOrRejected++;
    }
    assertThat(decodedOrRejected).isEqualTo(2000);
  }

  private static String rejectFirstMatch(
      UnaryOperator<dev.ambient.api.security.v1.Match.Builder> edit) throws Exception {
    return rejectPolicy(p -> p.setGroups(0, withFirstMatch(p.getGroups(0), edit)));
  }

  private static ServiceAccountMatch account(String namespace, String name) {
    return ServiceAccountMatch.newBuilder().setNamespace(namespace).setServiceAccount(name).build();
  }

  private static Extension loadBalancing(com.google.protobuf.Message config) {
    return Extension.newBuilder()
        .setName(WorkloadProtos.LOAD_BALANCING_EXTENSION)
        .setConfig(Any.pack(config))
        .build();
  }

  private static Group withFirstMatch(
      Group group, UnaryOperator<dev.ambient.api.security.v1.Match.Builder> edit) {
    Rules rules = group.getRules(0);
    return group.toBuilder()
        .setRules(0, rules.toBuilder().setMatches(0, edit.apply(rules.getMatches(0).toBuilder())))
        .build();
  }
}
