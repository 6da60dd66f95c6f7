package dev.ambient.controller.ca;

import java.util.Objects;

/**
 * Who an authenticated caller of the controller's TLS port is: a node proxy acting for the
 * workloads of its node (a ztunnel), or a workload acting for itself by its Kubernetes service
 * account (a waypoint pod). Exactly one of the two names is set.
 *
 * @param node the node name, for node proxies
 * @param serviceAccount {@code <namespace>/<name>}, for workloads
 */
public record Caller(String node, String serviceAccount) {
  public Caller {
    if ((node == null) == (serviceAccount == null)) {
      throw new IllegalArgumentException("a caller is either a node or a service account");
    }
  }

  public static Caller node(String node) {
    return new Caller(Objects.requireNonNull(node, "node"), null);
  }

  public static Caller serviceAccount(String namespaceSlashName) {
    return new Caller(null, Objects.requireNonNull(namespaceSlashName, "serviceAccount"));
  }

  public boolean isNode() {
    return node != null;
  }

  @Override
  public String toString() {
    return isNode() ? "node " + node : "service account " + serviceAccount;
  }
}
