package dev.ambient.api.model;

import dev.ambient.api.spiffe.SpiffeId;
import java.net.InetAddress;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One workload (a pod) as the data plane sees it; the same facts Istio's workload discovery
 * delivers in {@code istio.workload.Workload}.
 *
 * @param uid mesh-wide unique id, Istio style {@code <cluster>//Pod/<ns>/<name>}
 * @param waypoint the waypoint for traffic addressed to this pod, or {@code null}
 * @param canonicalName the canonical service ({@code service.istio.io/canonical-name} or app label)
 */
public record Workload(
    String uid,
    String name,
    String namespace,
    String serviceAccount,
    String node,
    String trustDomain,
    List<InetAddress> addresses,
    TunnelProtocol protocol,
    GatewayAddress waypoint,
    String canonicalName,
    String canonicalRevision,
    Map<String, String> labels) {

  public Workload {
    Objects.requireNonNull(uid, "uid");
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(namespace, "namespace");
    Objects.requireNonNull(serviceAccount, "serviceAccount");
    Objects.requireNonNull(node, "node");
    Objects.requireNonNull(trustDomain, "trustDomain");
    Objects.requireNonNull(protocol, "protocol");
    addresses = List.copyOf(addresses);
    labels = Map.copyOf(labels);
    canonicalName = canonicalName == null ? name : canonicalName;
    canonicalRevision = canonicalRevision == null ? "latest" : canonicalRevision;
  }

  /** The same workload with these labels. */
  public Workload withLabels(Map<String, String> next) {
    return new Workload(
        uid,
        name,
        namespace,
        serviceAccount,
        node,
        trustDomain,
        addresses,
        protocol,
        waypoint,
        canonicalName,
        canonicalRevision,
        next);
  }

  /** The same workload running as another service account. */
  public Workload withServiceAccount(String next) {
    return new Workload(
        uid,
        name,
        namespace,
        next,
        node,
        trustDomain,
        addresses,
        protocol,
        waypoint,
        canonicalName,
        canonicalRevision,
        labels);
  }

  /** The SPIFFE identity this workload's certificate carries. */
  public SpiffeId identity() {
    return SpiffeId.of(trustDomain, namespace, serviceAccount);
  }
}
