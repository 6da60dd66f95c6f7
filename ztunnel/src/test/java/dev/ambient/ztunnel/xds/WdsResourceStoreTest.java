package dev.ambient.ztunnel.xds;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.Any;
import com.google.protobuf.ByteString;
import dev.ambient.api.model.MeshState;
import dev.ambient.api.security.v1.Action;
import dev.ambient.api.security.v1.Authorization;
import dev.ambient.api.security.v1.Scope;
import dev.ambient.api.wds.WorkloadProtos;
import dev.ambient.api.workload.v1.Address;
import dev.ambient.api.workload.v1.Workload;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryResponse;
import io.envoyproxy.envoy.service.discovery.v3.Resource;
import org.junit.jupiter.api.Test;

/** Applying discovery responses: whole or not at all, errors naming resource and field. */
class WdsResourceStoreTest {
  private static final String ADDRESS = WorkloadProtos.ADDRESS_TYPE_URL;
  private static final String AUTHZ = WorkloadProtos.AUTHORIZATION_TYPE_URL;

  private static Address workload(String name, byte[] ip, String... policies) {
    return Address.newBuilder()
        .setWorkload(
            Workload.newBuilder()
                .setUid("Kubernetes//Pod/default/" + name)
                .setName(name)
                .setNamespace("default")
                .setNode("node-a")
                .setServiceAccount(name)
                .setTrustDomain("cluster.local")
                .addAddresses(ByteString.copyFrom(ip))
                .addAllAuthorizationPolicies(java.util.List.of(policies)))
        .build();
  }

  private static Authorization policy(String name) {
    return Authorization.newBuilder()
        .setName(name)
        .setNamespace("default")
        .setScope(Scope.WORKLOAD_SELECTOR)
        .setAction(Action.DENY)
        .build();
  }

  private static Resource resource(String name, com.google.protobuf.Message body) {
    return Resource.newBuilder()
        .setName(name)
        .setVersion("v-" + name)
        .setResource(Any.pack(body))
        .build();
  }

  private static DeltaDiscoveryResponse response(String type, Resource... resources) {
    return DeltaDiscoveryResponse.newBuilder()
        .setTypeUrl(type)
        .setNonce("1")
        .addAllResources(java.util.List.of(resources))
        .build();
  }

  @Test
  void appliesAndRemovesAndReportsVersions() throws Exception {
    WdsResourceStore store = new WdsResourceStore();
    store.apply(response(AUTHZ, resource("default/deny", policy("deny"))), 1);
    MeshState s =
        store.apply(
            response(
                ADDRESS,
                resource(
                    "Kubernetes//Pod/default/a",
                    workload("a", new byte[] {127, 9, 0, 1}, "default/deny"))),
            2);
    assertThat(s.workloads()).hasSize(1);
    assertThat(s.policiesFor(s.workloads().get(0))).hasSize(1);
    assertThat(store.versions(ADDRESS))
        .containsEntry("Kubernetes//Pod/default/a", "v-Kubernetes//Pod/default/a");

    MeshState removed =
        store.apply(
            DeltaDiscoveryResponse.newBuilder()
                .setTypeUrl(ADDRESS)
                .addRemovedResources("Kubernetes//Pod/default/a")
                .build(),
            3);
    assertThat(removed.workloads()).isEmpty();
    assertThat(store.versions(ADDRESS)).isEmpty();
  }

  @Test
  void aBadResponseNamesEveryProblemAndChangesNothing() throws Exception {
    WdsResourceStore store = new WdsResourceStore();
    store.apply(
        response(
            ADDRESS,
            resource("Kubernetes//Pod/default/a", workload("a", new byte[] {127, 9, 0, 1}))),
        1);
    DeltaDiscoveryResponse bad =
        response(
            ADDRESS,
            resource("Kubernetes//Pod/default/b", workload("b", new byte[] {1, 2, 3})),
            resource("wrong-name", workload("c", new byte[] {127, 9, 0, 3})),
            Resource.newBuilder().setName("default/p").setResource(Any.pack(policy("p"))).build());
    assertThatThrownBy(() -> store.apply(bad, 2))
        .isInstanceOf(WdsResponseException.class)
        .hasMessageContaining(
            "resources[1] (\"wrong-name\"): field name: the resource's own name is")
        .hasMessageContaining("resources[2] (\"default/p\"): field resource.type_url");
    // Names are right but the address is not: the decoded state is refused as a whole.
    assertThatThrownBy(
            () ->
                store.apply(
                    response(
                        ADDRESS,
                        resource("Kubernetes//Pod/default/b", workload("b", new byte[] {1, 2, 3}))),
                    2))
        .isInstanceOf(WdsResponseException.class)
        .hasMessageContaining("workload Kubernetes//Pod/default/b: field addresses[0]");
    // A workload naming a policy nobody sent is refused (ignoring a DENY would fail open).
    assertThatThrownBy(
            () ->
                store.apply(
                    response(
                        ADDRESS,
                        resource(
                            "Kubernetes//Pod/default/c",
                            workload("c", new byte[] {127, 9, 0, 3}, "default/missing"))),
                    2))
        .hasMessageContaining("unknown authorization policy");
    assertThat(store.versions(ADDRESS)).containsOnlyKeys("Kubernetes//Pod/default/a");
    assertThatThrownBy(() -> store.apply(response("type.googleapis.com/other.Type"), 2))
        .hasMessageContaining("is not subscribed");
  }
}
