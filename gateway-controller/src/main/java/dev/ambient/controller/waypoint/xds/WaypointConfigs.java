package dev.ambient.controller.waypoint.xds;

import io.envoyproxy.controlplane.cache.v3.SimpleCache;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Per waypoint: the configuration being served, and the last one Envoy accepted whole. A version is
 * accepted once every xDS type it carries was ACKed at that version and none was NACKed; a NACKed
 * version is replaced by the last accepted resources under a new version, so a restarted Envoy (or
 * one that just reconnected) is never handed the rejected configuration.
 */
final class WaypointConfigs {
  private static final Logger LOG = LoggerFactory.getLogger(WaypointConfigs.class);

  /** The xDS types a waypoint configuration uses. */
  enum XdsType {
    CLUSTER("type.googleapis.com/envoy.config.cluster.v3.Cluster"),
    ENDPOINT("type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment"),
    LISTENER("type.googleapis.com/envoy.config.listener.v3.Listener"),
    ROUTE("type.googleapis.com/envoy.config.route.v3.RouteConfiguration"),
    SECRET("type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret");

    final String url;

    XdsType(String url) {
      this.url = url;
    }

    static XdsType of(String url) {
      for (XdsType t : values()) {
        if (t.url.equals(url)) {
          return t;
        }
      }
      return null;
    }
  }

  private static final class Entry {
    final Map<String, WaypointResources> byVersion = new HashMap<>();
    final Map<String, Set<XdsType>> acked = new HashMap<>();
    final Set<String> rejected = new HashSet<>();
    String current;
    String accepted;
  }

  private final SimpleCache<String> cache;
  private final Map<String, Entry> entries = new HashMap<>();
  private long nextVersion = 1;

  WaypointConfigs(SimpleCache<String> cache) {
    this.cache = cache;
  }

  /** Serves {@code resources} to the node under a new version; returns that version. */
  synchronized String publish(String node, WaypointResources resources) {
    Entry e = entries.computeIfAbsent(node, n -> new Entry());
    String version = "v" + nextVersion++;
    e.byVersion.put(version, resources);
    e.current = version;
    // Keep only what the accept/rollback logic can still need.
    e.byVersion.keySet().removeIf(v -> !v.equals(e.current) && !v.equals(e.accepted));
    e.acked.keySet().retainAll(e.byVersion.keySet());
    e.rejected.retainAll(e.byVersion.keySet());
    cache.setSnapshot(node, resources.toSnapshot(version));
    return version;
  }

  synchronized String currentVersion(String node) {
    Entry e = entries.get(node);
    return e == null ? null : e.current;
  }

  synchronized String acceptedVersion(String node) {
    Entry e = entries.get(node);
    return e == null ? null : e.accepted;
  }

  /**
   * Resource names of a type that {@code version} added or changed relative to the accepted version
   * (all of that type when none was accepted; empty when the version is unknown).
   */
  synchronized java.util.List<String> changedNames(String node, String version, String typeUrl) {
    Entry e = entries.get(node);
    WaypointResources r = e == null ? null : e.byVersion.get(version);
    if (r == null) {
      return null;
    }
    WaypointResources good = e.accepted == null ? null : e.byVersion.get(e.accepted);
    return r.changedNames(typeUrl, good);
  }

  synchronized void onAck(String node, String typeUrl, String version) {
    Entry e = entries.get(node);
    XdsType type = XdsType.of(typeUrl);
    if (e == null || type == null || !e.byVersion.containsKey(version)) {
      return;
    }
    Set<XdsType> got = e.acked.computeIfAbsent(version, v -> EnumSet.noneOf(XdsType.class));
    got.add(type);
    if (!e.rejected.contains(version)
        && !version.equals(e.accepted)
        && got.containsAll(required(e.byVersion.get(version)))) {
      e.accepted = version;
      LOG.info("waypoint {}: configuration {} accepted by Envoy", node, version);
    }
  }

  /**
   * Envoy rejected {@code version}: forget it, and if it is what we serve, serve the last accepted
   * resources again (under a new version, so every type is consistent again).
   */
  synchronized void onNack(String node, String version) {
    Entry e = entries.get(node);
    if (e == null || version == null) {
      return;
    }
    e.rejected.add(version);
    if (!version.equals(e.current)) {
      return; // already superseded
    }
    WaypointResources good = e.accepted == null ? null : e.byVersion.get(e.accepted);
    if (good == null) {
      LOG.error(
          "waypoint {}: configuration {} rejected and no accepted version to fall back to",
          node,
          version);
      return;
    }
    String was = e.accepted;
    String again = publish(node, good);
    // The re-served copy is the accepted configuration; Envoy ACKs it as such.
    e.accepted = was;
    LOG.warn(
        "waypoint {}: configuration {} rejected; serving the last accepted configuration {} again"
            + " as {}",
        node,
        version,
        was,
        again);
  }

  private static Set<XdsType> required(WaypointResources r) {
    Set<XdsType> out = EnumSet.of(XdsType.CLUSTER, XdsType.LISTENER);
    if (!r.secrets().isEmpty()) {
      out.add(XdsType.SECRET); // pod mode: secrets come from the agent, not over ADS
    }
    if (!r.endpoints().isEmpty()) {
      out.add(XdsType.ENDPOINT);
    }
    if (!r.routes().isEmpty()) {
      out.add(XdsType.ROUTE);
    }
    return out;
  }
}
