package dev.ambient.ztunnel.inpod.protocol;

import java.util.List;
import java.util.Objects;

/**
 * What the CNI step tells the node's ztunnel over its unix socket (the role of Istio's ZDS
 * messages). One JSON object per line; each is answered by one {@link Ack} line.
 */
public sealed interface CniMessage {

  /**
   * A pod on this node joined the mesh: its rules are installed and ztunnel should serve it from
   * listeners inside its network namespace.
   *
   * @param uid the workload uid, as in the mesh config ({@code <cluster>//Pod/<ns>/<name>})
   * @param netns path of the pod's network namespace ({@code /var/run/netns/x} or {@code
   *     /proc/<pid>/ns/net})
   */
  record AddPod(
      String uid,
      String namespace,
      String name,
      String serviceAccount,
      String netns,
      List<String> ips)
      implements CniMessage {
    public AddPod {
      Objects.requireNonNull(uid, "uid");
      Objects.requireNonNull(namespace, "namespace");
      Objects.requireNonNull(name, "name");
      Objects.requireNonNull(serviceAccount, "serviceAccount");
      Objects.requireNonNull(netns, "netns");
      ips = List.copyOf(ips);
    }
  }

  /** The pod left: close its listeners, drain its connections. */
  record DelPod(String uid) implements CniMessage {
    public DelPod {
      Objects.requireNonNull(uid, "uid");
    }
  }

  /**
   * Every current pod has been (re)sent since this connection opened; pods ztunnel still serves
   * that were not among them are gone and get removed.
   */
  record SnapshotSent() implements CniMessage {}

  /** The answer to every message: {@code ok}, or the reason it was refused. */
  record Ack(boolean ok, String error) {
    public static Ack success() {
      return new Ack(true, null);
    }

    public static Ack failure(String error) {
      return new Ack(false, Objects.requireNonNull(error));
    }
  }
}
