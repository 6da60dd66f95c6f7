package dev.ambient.ztunnel.xds;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import dev.ambient.api.model.InvalidMeshConfigException;
import dev.ambient.api.model.MeshConfig;
import dev.ambient.api.model.MeshState;
import dev.ambient.api.security.v1.Authorization;
import dev.ambient.api.wds.WorkloadProtos;
import dev.ambient.api.workload.v1.Address;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryResponse;
import io.envoyproxy.envoy.service.discovery.v3.Resource;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The resources the client holds, per type and name, with their versions; and the mesh state they
 * decode to. A response is applied to a copy, the whole resulting set is decoded and indexed
 * ({@link WorkloadProtos#toMeshConfig}, {@link MeshState#of}), and only if that succeeds does the
 * copy replace the held resources: a response is applied whole or not at all.
 */
final class WdsResourceStore {
  /** A held resource: its version as the server named it, and the decoded body. */
  private record Held(String version, Message body) {}

  private Map<String, Map<String, Held>> byType = emptyTypes();

  private static Map<String, Map<String, Held>> emptyTypes() {
    Map<String, Map<String, Held>> m = new LinkedHashMap<>();
    m.put(WorkloadProtos.ADDRESS_TYPE_URL, new LinkedHashMap<>());
    m.put(WorkloadProtos.AUTHORIZATION_TYPE_URL, new LinkedHashMap<>());
    return m;
  }

  /** Name to version of the held resources of a type (for {@code initial_resource_versions}). */
  synchronized Map<String, String> versions(String typeUrl) {
    Map<String, String> out = new LinkedHashMap<>();
    Map<String, Held> held = byType.get(typeUrl);
    if (held != null) {
      held.forEach((name, h) -> out.put(name, h.version()));
    }
    return out;
  }

  synchronized int size(String typeUrl) {
    Map<String, Held> held = byType.get(typeUrl);
    return held == null ? 0 : held.size();
  }

  /**
   * Validates a response against the held resources and, if everything is right, keeps it.
   *
   * @return the mesh state of the held resources after the response
   * @throws WdsResponseException naming each bad resource and field; nothing is kept then
   */
  synchronized MeshState apply(DeltaDiscoveryResponse response, long stateVersion)
      throws WdsResponseException {
    String type = response.getTypeUrl();
    if (!byType.containsKey(type)) {
      throw new WdsResponseException(List.of("type_url " + quote(type) + " is not subscribed"));
    }
    List<String> problems = new ArrayList<>();
    Map<String, Held> next = new LinkedHashMap<>(byType.get(type));
    Set<String> seen = new HashSet<>();
    for (String removed : response.getRemovedResourcesList()) {
      next.remove(removed);
    }
    for (int i = 0; i < response.getResourcesCount(); i++) {
      Resource r = response.getResources(i);
      String where = "resources[" + i + "] (" + quote(r.getName()) + ")";
      if (r.getName().isEmpty()) {
        problems.add(where + ": field name: empty");
        continue;
      }
      if (!seen.add(r.getName())) {
        problems.add(where + ": field name: sent twice in one response");
        continue;
      }
      if (!r.hasResource()) {
        problems.add(where + ": field resource: missing");
        continue;
      }
      if (!type.equals(r.getResource().getTypeUrl())) {
        problems.add(
            where
                + ": field resource.type_url: "
                + quote(r.getResource().getTypeUrl())
                + " is not the response's type "
                + type);
        continue;
      }
      Message body;
      String actualName;
      try {
        if (WorkloadProtos.ADDRESS_TYPE_URL.equals(type)) {
          Address a = r.getResource().unpack(Address.class);
          body = a;
          actualName = WorkloadProtos.resourceName(a);
        } else {
          Authorization a = r.getResource().unpack(Authorization.class);
          body = a;
          actualName = WorkloadProtos.resourceName(a);
        }
      } catch (InvalidProtocolBufferException e) {
        problems.add(where + ": field resource: cannot be decoded: " + e.getMessage());
        continue;
      }
      if (!actualName.equals(r.getName())) {
        problems.add(
            where + ": field name: the resource's own name is " + quote(actualName) + " instead");
        continue;
      }
      next.put(r.getName(), new Held(r.getVersion(), body));
    }
    if (!problems.isEmpty()) {
      throw new WdsResponseException(problems);
    }
    Map<String, Map<String, Held>> candidate = new LinkedHashMap<>(byType);
    candidate.put(type, next);
    MeshState state;
    try {
      state = decode(candidate, stateVersion);
    } catch (InvalidMeshConfigException e) {
      throw new WdsResponseException(e.problems());
    }
    byType = candidate;
    return state;
  }

  private static MeshState decode(Map<String, Map<String, Held>> resources, long version)
      throws InvalidMeshConfigException {
    List<Address> addresses = new ArrayList<>();
    for (Held h : resources.get(WorkloadProtos.ADDRESS_TYPE_URL).values()) {
      addresses.add((Address) h.body());
    }
    List<Authorization> policies = new ArrayList<>();
    for (Held h : resources.get(WorkloadProtos.AUTHORIZATION_TYPE_URL).values()) {
      policies.add((Authorization) h.body());
    }
    MeshConfig config = WorkloadProtos.toMeshConfig(addresses, policies);
    return MeshState.of(config, version);
  }

  /** Bounded, escaped rendering of server-supplied text. */
  static String quote(String value) {
    StringBuilder b = new StringBuilder("\"");
    int limit = Math.min(value.length(), 200);
    for (int i = 0; i < limit; i++) {
      char c = value.charAt(i);
      if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
        b.append(c);
      } else {
        b.append(String.format("\\u%04x", (int) c));
      }
    }
    if (value.length() > limit) {
      b.append("...");
    }
    return b.append('"').toString();
  }
}
