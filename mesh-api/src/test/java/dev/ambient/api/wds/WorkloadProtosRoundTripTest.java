package dev.ambient.api.wds;

import static dev.ambient.api.wds.MeshFixture.ALLOW_WEB;
import static dev.ambient.api.wds.MeshFixture.DB;
import static dev.ambient.api.wds.MeshFixture.WEB;
import static dev.ambient.api.wds.MeshFixture.WEB_V6;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Any;
import com.google.protobuf.ByteString;
import dev.ambient.api.authz.AuthorizationPolicy;
import dev.ambient.api.model.MeshConfig;
import dev.ambient.api.model.MeshState;
import dev.ambient.api.model.Workload;
import dev.ambient.api.security.v1.Authorization;
import dev.ambient.api.workload.v1.Address;
import dev.ambient.api.workload.v1.PortList;
import dev.ambient.api.workload.v1.TunnelProtocol;
import dev.ambient.api.workload.v1.WorkloadType;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class WorkloadProtosRoundTripTest {

  private static final String WEB_SELECTOR_LABEL = "ambient.dev/policy.shop.allow-web";

  @Test
  void workloadEncodesIstioFields() throws Exception {
    MeshState state = MeshState.of(MeshFixture.config(), 1);
    dev.ambient.api.workload.v1.Workload w = WorkloadProtos.toProto(WEB, state);

    assertThat(w.getUid()).isEqualTo("Kubernetes//Pod/shop/web-1");
    assertThat(w.getName()).isEqualTo("web-1");
    assertThat(w.getNamespace()).isEqualTo("shop");
    assertThat(w.getAddressesList()).containsExactly(ByteString.copyFrom(new byte[] {10, 0, 0, 1}));
    assertThat(w.getNetwork()).isEmpty();
    assertThat(w.getTunnelProtocol()).isEqualTo(TunnelProtocol.HBONE);
    assertThat(w.getTrustDomain()).isEqualTo("cluster.local");
    assertThat(w.getServiceAccount()).isEqualTo("web");
    assertThat(w.getNode()).isEqualTo("node-a");
    assertThat(w.getCanonicalName()).isEqualTo("web");
    assertThat(w.getCanonicalRevision()).isEqualTo("v1");
    assertThat(w.getWorkloadName()).isEqualTo("web-1");
    assertThat(w.getWorkloadType()).isEqualTo(WorkloadType.POD);
    assertThat(w.getClusterId()).isEqualTo("Kubernetes");
    assertThat(w.getWaypoint().getHostname().getNamespace()).isEqualTo("shop");
    assertThat(w.getWaypoint().getHostname().getHostname())
        .isEqualTo("waypoint.shop.svc.cluster.local");
    assertThat(w.getWaypoint().getHboneMtlsPort()).isEqualTo(15008);
    PortList ports = w.getServicesOrThrow("shop/web.shop.svc.cluster.local");
    assertThat(ports.getPortsList())
        .extracting(p -> p.getServicePort() + "->" + p.getTargetPort())
        .containsExactly("80->8080", "443->0");
    assertThat(w.getServicesMap()).hasSize(1);
    // Only the selector policy is listed; the namespace and global ones apply out of band.
    assertThat(w.getAuthorizationPoliciesList()).containsExactly("shop/allow-web");

    dev.ambient.api.workload.v1.Workload v6 = WorkloadProtos.toProto(WEB_V6, state);
    assertThat(v6.getAddresses(0).size()).isEqualTo(16);
    assertThat(v6.getAuthorizationPoliciesList()).isEmpty();
    assertThat(v6.getWaypoint().getAddress().getAddress())
        .isEqualTo(ByteString.copyFrom(new byte[] {10, 0, 9, 9}));
    assertThat(v6.getWaypoint().getHboneMtlsPort()).isEqualTo(15009);
  }

  @Test
  void serviceAndPolicyEncodeIstioFields() {
    dev.ambient.api.workload.v1.Service s = WorkloadProtos.toProto(MeshFixture.WEB_SERVICE);
    assertThat(s.getName()).isEqualTo("web");
    assertThat(s.getHostname()).isEqualTo("web.shop.svc.cluster.local");
    assertThat(s.getAddressesList()).hasSize(2);
    assertThat(s.getAddresses(0).getNetwork()).isEmpty();
    assertThat(s.getAddresses(0).getAddress().toByteArray()).containsExactly(10, 96, 0, 10);
    assertThat(s.getAddresses(1).getAddress().size()).isEqualTo(16);
    assertThat(s.getSubjectAltNamesList()).containsExactly("spiffe://cluster.local/ns/shop/sa/web");
    assertThat(s.getExtensionsList())
        .singleElement()
        .satisfies(e -> assertThat(e.getName()).isEqualTo(WorkloadProtos.LOAD_BALANCING_EXTENSION));
    assertThat(WorkloadProtos.toProto(MeshFixture.DB_SERVICE).getExtensionsCount()).isZero();

    Authorization a = WorkloadProtos.toProto(ALLOW_WEB);
    assertThat(WorkloadProtos.resourceName(a)).isEqualTo("shop/allow-web");
    assertThat(a.getScope()).isEqualTo(dev.ambient.api.security.v1.Scope.WORKLOAD_SELECTOR);
    assertThat(a.getGroupsCount()).isEqualTo(2);
    dev.ambient.api.security.v1.Match m = a.getGroups(0).getRules(0).getMatches(0);
    assertThat(m.getNamespaces(0).getExact()).isEqualTo("shop");
    assertThat(m.getNotNamespaces(0).getPrefix()).isEqualTo("kube-");
    assertThat(m.getPrincipals(0).getSuffix()).isEqualTo("/sa/frontend");
    assertThat(m.getPrincipals(1).hasPresence()).isTrue();
    assertThat(m.getSourceIps(0).getAddress().toByteArray()).containsExactly(10, 0, 0, 0);
    assertThat(m.getSourceIps(0).getLength()).isEqualTo(8);
    assertThat(m.getSourceIps(1).getLength()).isEqualTo(16);
    assertThat(m.getNotSourceIps(0).getLength()).isEqualTo(32);
    assertThat(m.getDestinationPortsList()).containsExactly(8080, 443);
    assertThat(m.getNotDestinationPortsList()).containsExactly(9090);
    assertThat(WorkloadProtos.toProto(MeshFixture.GLOBAL_DRY_RUN).getDryRun()).isTrue();
  }

  @Test
  void modelToProtoToModelKeepsEverythingButTheSelectorLabels() throws Exception {
    MeshState original = MeshState.of(MeshFixture.config(), 1);
    WdsResources wds = WorkloadProtos.toProtos(original);

    MeshConfig decoded = WorkloadProtos.toMeshConfig(wds.addresses(), wds.authorizations());

    // Labels do not travel; the selection does, as one synthetic label per selector policy.
    assertThat(decoded.workloads())
        .containsExactly(
            WEB.withLabels(Map.of(WEB_SELECTOR_LABEL, "true")),
            WEB_V6.withLabels(Map.of()),
            DB.withLabels(Map.of()));
    assertThat(decoded.services()).containsExactlyElementsOf(original.services());
    List<AuthorizationPolicy> expectedPolicies = new ArrayList<>(original.policies());
    expectedPolicies.set(0, withSelector(ALLOW_WEB, Map.of(WEB_SELECTOR_LABEL, "true")));
    assertThat(decoded.policies()).containsExactlyElementsOf(expectedPolicies);

    MeshState rebuilt = MeshState.of(decoded, 2);
    for (Workload w : original.workloads()) {
      assertThat(names(rebuilt.policiesFor(rebuilt.workloadByUid(w.uid()))))
          .as("policies selecting %s", w.uid())
          .isEqualTo(names(original.policiesFor(w)));
    }
    assertThat(names(rebuilt.policiesFor(rebuilt.workloadByUid(WEB.uid()))))
        .containsExactly(
            "shop/allow-web", "shop/deny-plaintext", "istio-system/istio_converted_static_strict");
  }

  @Test
  void protoToModelToProtoIsAFixedPoint() throws Exception {
    WdsResources first = WorkloadProtos.toProtos(MeshState.of(MeshFixture.config(), 1));
    MeshConfig decoded = WorkloadProtos.toMeshConfig(first.addresses(), first.authorizations());
    WdsResources second = WorkloadProtos.toProtos(MeshState.of(decoded, 2));
    assertThat(second).isEqualTo(first);
  }

  @Test
  void survivesTheWireAsAny() throws Exception {
    WdsResources wds = WorkloadProtos.toProtos(MeshState.of(MeshFixture.config(), 1));
    List<Address> addresses = new ArrayList<>();
    for (Address a : wds.addresses()) {
      Any any = Any.parseFrom(Any.pack(a).toByteArray());
      assertThat(any.getTypeUrl()).isEqualTo(WorkloadProtos.ADDRESS_TYPE_URL);
      addresses.add(any.unpack(Address.class));
    }
    List<Authorization> policies = new ArrayList<>();
    for (Authorization a : wds.authorizations()) {
      Any any = Any.parseFrom(Any.pack(a).toByteArray());
      assertThat(any.getTypeUrl()).isEqualTo(WorkloadProtos.AUTHORIZATION_TYPE_URL);
      policies.add(any.unpack(Authorization.class));
    }
    assertThat(WorkloadProtos.toMeshConfig(addresses, policies))
        .isEqualTo(WorkloadProtos.toMeshConfig(wds.addresses(), wds.authorizations()));
    assertThat(addresses.stream().map(WorkloadProtos::resourceName))
        .containsExactly(
            WEB.uid(),
            WEB_V6.uid(),
            DB.uid(),
            "shop/web.shop.svc.cluster.local",
            "data/db.data.svc.cluster.local");
  }

  private static List<String> names(List<AuthorizationPolicy> policies) {
    return policies.stream().map(AuthorizationPolicy::resourceName).toList();
  }

  private static AuthorizationPolicy withSelector(
      AuthorizationPolicy p, Map<String, String> selector) {
    return new AuthorizationPolicy(
        p.name(), p.namespace(), p.scope(), p.action(), selector, p.rules(), p.dryRun());
  }
}
