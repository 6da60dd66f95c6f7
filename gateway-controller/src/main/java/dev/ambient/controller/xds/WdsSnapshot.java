package dev.ambient.controller.xds;

import com.google.protobuf.Any;
import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.Message;
import dev.ambient.api.security.v1.Authorization;
import dev.ambient.api.wds.WdsResources;
import dev.ambient.api.wds.WorkloadProtos;
import dev.ambient.api.workload.v1.Address;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Everything the workload discovery server serves at one point in time: per type URL, the resources
 * by name. Immutable. Resource versions are content hashes, so a resource whose content did not
 * change keeps its version across snapshots and across controller restarts, which is what lets a
 * reconnecting client's {@code initial_resource_versions} save resending it.
 */
public final class WdsSnapshot {
  /** The types served, in the order a push sends their additions (policies before workloads). */
  public static final List<String> TYPES =
      List.of(WorkloadProtos.AUTHORIZATION_TYPE_URL, WorkloadProtos.ADDRESS_TYPE_URL);

  public static final WdsSnapshot EMPTY = new WdsSnapshot(0, Map.of());

  private final long version;
  private final Map<String, Map<String, WdsResource>> byType;

  private WdsSnapshot(long version, Map<String, Map<String, WdsResource>> byType) {
    this.version = version;
    this.byType = byType;
  }

  /** The snapshot of translated mesh resources. */
  public static WdsSnapshot of(long version, WdsResources resources) {
    Map<String, WdsResource> addresses = new LinkedHashMap<>();
    for (Address a : resources.addresses()) {
      put(addresses, WorkloadProtos.resourceName(a), a);
    }
    Map<String, WdsResource> policies = new LinkedHashMap<>();
    for (Authorization p : resources.authorizations()) {
      put(policies, WorkloadProtos.resourceName(p), p);
    }
    return new WdsSnapshot(
        version,
        Map.of(
            WorkloadProtos.ADDRESS_TYPE_URL, Map.copyOf(addresses),
            WorkloadProtos.AUTHORIZATION_TYPE_URL, Map.copyOf(policies)));
  }

  /**
   * A snapshot of arbitrary resources, named by the caller. The server sends them as they are;
   * tests use this to serve what no mesh translation would produce.
   */
  public static WdsSnapshot ofResources(long version, Map<String, Map<String, Message>> byType) {
    Map<String, Map<String, WdsResource>> out = new LinkedHashMap<>();
    for (String type : TYPES) {
      out.put(type, Map.of());
    }
    for (Map.Entry<String, Map<String, Message>> t : byType.entrySet()) {
      Map<String, WdsResource> resources = new LinkedHashMap<>();
      for (Map.Entry<String, Message> r : t.getValue().entrySet()) {
        put(resources, r.getKey(), r.getValue());
      }
      out.put(t.getKey(), Map.copyOf(resources));
    }
    return new WdsSnapshot(version, Map.copyOf(out));
  }

  private static void put(Map<String, WdsResource> into, String name, Message body) {
    if (into.containsKey(name)) {
      throw new IllegalArgumentException("duplicate resource name " + name);
    }
    into.put(name, new WdsResource(name, contentVersion(body), Any.pack(body)));
  }

  /**
   * A short hash of the deterministic encoding (map entries sorted, so equal content, equal hash).
   */
  static String contentVersion(Message body) {
    try {
      ByteArrayOutputStream bytes = new ByteArrayOutputStream(body.getSerializedSize());
      CodedOutputStream out = CodedOutputStream.newInstance(bytes);
      out.useDeterministicSerialization();
      body.writeTo(out);
      out.flush();
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(bytes.toByteArray());
      return HexFormat.of().formatHex(digest, 0, 12);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required by the Java platform", e);
    }
  }

  public long version() {
    return version;
  }

  /** The resources of a type by name; empty for a type this snapshot does not serve. */
  public Map<String, WdsResource> resources(String typeUrl) {
    return byType.getOrDefault(typeUrl, Map.of());
  }

  public boolean serves(String typeUrl) {
    return byType.containsKey(typeUrl);
  }

  /** Whether both snapshots hold the same resources at the same versions. */
  public boolean sameContent(WdsSnapshot other) {
    if (!byType.keySet().equals(other.byType.keySet())) {
      return false;
    }
    for (Map.Entry<String, Map<String, WdsResource>> e : byType.entrySet()) {
      Map<String, WdsResource> mine = e.getValue();
      Map<String, WdsResource> theirs = other.byType.get(e.getKey());
      if (mine.size() != theirs.size()) {
        return false;
      }
      for (WdsResource r : mine.values()) {
        WdsResource o = theirs.get(r.name());
        if (o == null || !o.version().equals(r.version())) {
          return false;
        }
      }
    }
    return true;
  }
}
