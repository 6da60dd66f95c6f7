package dev.ambient.ztunnel.cni;

import dev.ambient.api.config.MeshConfigLoader;
import dev.ambient.api.model.InvalidMeshConfigException;
import dev.ambient.api.model.MeshConfig;
import dev.ambient.api.model.TunnelProtocol;
import dev.ambient.api.model.Workload;
import dev.ambient.ztunnel.inpod.protocol.CniMessage;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The CNI step, the role of Istio's CNI agent on a node: for a pod in the mesh it installs the
 * in-pod capture rules ({@link InPodRules}) and hands the pod's network namespace to the node's
 * ztunnel ({@link CniClient}); on delete it tells ztunnel and removes the rules; after a ztunnel
 * restart it replays every pod it knows ({@link #resync}).
 *
 * <p>Fail closed: {@link #add} either ends with rules installed, the pod recorded and ztunnel's
 * acknowledgement, or with none of the three. Each call returns an {@link Outcome}: an exit code
 * and the lines to print, one clear line per fact or problem.
 */
public final class CniPlugin {
  public static final int OK = 0;

  /** ztunnel refused, was unreachable or answered garbage; add was rolled back. */
  public static final int FAILED = 1;

  /** Bad arguments: pod name, mesh config, node, network namespace. Nothing was changed. */
  public static final int BAD_INPUT = 2;

  /** del: no record of that pod. */
  public static final int UNKNOWN_POD = 3;

  /** iptables failed (add: rolled back; del: record kept so that del can be retried). */
  public static final int RULES_FAILED = 4;

  /** What a CNI command did: its exit code and its report. */
  public record Outcome(int exitCode, List<String> lines) {
    public Outcome {
      lines = List.copyOf(lines);
    }

    public boolean ok() {
      return exitCode == OK;
    }

    @Override
    public String toString() {
      return exitCode + ": " + String.join(" | ", lines);
    }
  }

  private final Path socket;
  private final PodStore store;
  private final Duration timeout;

  /**
   * @param socket ztunnel's unix socket on this node
   * @param stateDir where the pod records live ({@code <stateDir>/pods})
   * @param timeout how long to wait for each acknowledgement
   */
  public CniPlugin(Path socket, Path stateDir, Duration timeout) {
    this.socket = Objects.requireNonNull(socket, "socket");
    this.store = new PodStore(Objects.requireNonNull(stateDir, "stateDir"));
    this.timeout = Objects.requireNonNull(timeout, "timeout");
  }

  public PodStore store() {
    return store;
  }

  /**
   * A pod started on {@code node} in network namespace {@code netns}: capture it if the mesh config
   * puts it in the mesh (protocol HBONE).
   *
   * @param pod {@code <namespace>/<name>}
   */
  public Outcome add(Path netns, String pod, Path config, String node) {
    String what = "cni add " + pod;
    String[] ref = podRef(pod);
    if (ref == null) {
      return fail(BAD_INPUT, what + ": --pod must be <namespace>/<name>");
    }
    if (node == null || node.isBlank()) {
      return fail(BAD_INPUT, what + ": --node is empty");
    }
    if (netns == null || !NetnsCommand.enterable(netns.toAbsolutePath())) {
      return fail(BAD_INPUT, what + ": netns " + netns + " is not a live network namespace");
    }
    Path ns = netns.toAbsolutePath().normalize();
    MeshConfig mesh;
    try {
      mesh = MeshConfigLoader.load(config);
    } catch (IOException e) {
      return fail(BAD_INPUT, what + ": cannot read mesh config " + config + ": " + e.getMessage());
    } catch (InvalidMeshConfigException e) {
      return fail(BAD_INPUT, what + ": mesh config " + config + " is invalid: " + e.getMessage());
    }
    Optional<Workload> found =
        mesh.workloads().stream()
            .filter(w -> w.namespace().equals(ref[0]) && w.name().equals(ref[1]))
            .findFirst();
    if (found.isEmpty()) {
      return new Outcome(OK, List.of(what + ": not ambient: not in the mesh config, no capture"));
    }
    Workload w = found.get();
    if (w.protocol() != TunnelProtocol.HBONE) {
      return new Outcome(OK, List.of(what + ": not ambient: protocol TCP, no capture"));
    }
    if (!w.node().equals(node)) {
      return fail(
          BAD_INPUT, what + ": the mesh config puts it on node " + w.node() + ", not " + node);
    }
    List<String> ips = new ArrayList<>();
    for (InetAddress a : w.addresses()) {
      ips.add(a.getHostAddress());
    }
    return capture(
        new PodRecord(
            w.uid(), w.namespace(), w.name(), w.serviceAccount(), ns.toString(), ips, node),
        w.addresses());
  }

  /**
   * Captures a pod already known to be in the mesh (the cluster's CNI agent decides that from the
   * API server): checks the netns holds one of its addresses, installs the rules, records it and
   * hands it to ztunnel; any failure rolls back (fail closed).
   */
  public Outcome capture(PodRecord record, List<InetAddress> addresses) {
    String what = "cni add " + record.namespace() + "/" + record.name();
    Path ns = Path.of(record.netns());
    List<String> ips = record.ips();
    if (!NetnsCommand.enterable(ns)) {
      return fail(BAD_INPUT, what + ": netns " + ns + " is not a live network namespace");
    }
    // A wrong --netns would lend this workload's identity to another pod's traffic.
    try {
      if (!holdsAnyOf(ns, addresses)) {
        return fail(
            BAD_INPUT,
            what
                + ": netns "
                + ns
                + " holds none of the workload's addresses "
                + ips
                + ": refusing to give it this pod's identity");
      }
    } catch (IOException e) {
      return fail(
          BAD_INPUT, what + ": cannot read the addresses in netns " + ns + ": " + e.getMessage());
    }
    InPodRules rules = new InPodRules(ns);
    try {
      rules.add();
    } catch (IOException e) {
      return fail(
          RULES_FAILED,
          what + ": installing rules failed: " + e.getMessage() + rollback(rules, null));
    }
    try {
      store.save(record);
    } catch (IOException e) {
      return fail(
          FAILED, what + ": recording the pod failed: " + e.getMessage() + rollback(rules, null));
    }
    try {
      CniMessage.Ack ack = CniClient.sendOne(socket, timeout, record.addMessage());
      if (!ack.ok()) {
        return fail(
            FAILED, what + ": ztunnel refused the pod: " + ack.error() + rollback(rules, record));
      }
    } catch (CniClientException e) {
      return fail(FAILED, what + ": " + e.getMessage() + rollback(rules, record));
    }
    return new Outcome(
        OK,
        List.of(
            what + ": captured: rules installed in " + ns + ", ztunnel serves " + record.uid()));
  }

  /**
   * A pod is going away: tell ztunnel (if it is not there, only a warning: it drops the pod at its
   * next snapshot), remove the rules if the namespace still exists, forget the pod.
   *
   * @param netnsOverride the namespace to clean when there is no record, or to use instead of the
   *     recorded one; may be null
   */
  public Outcome del(String pod, Path netnsOverride) {
    String what = "cni del " + pod;
    String[] ref = podRef(pod);
    if (ref == null) {
      return fail(BAD_INPUT, what + ": --pod must be <namespace>/<name>");
    }
    List<String> lines = new ArrayList<>();
    Optional<PodRecord> found;
    try {
      found = store.find(ref[0], ref[1]);
    } catch (IOException | IllegalArgumentException e) {
      return fail(BAD_INPUT, what + ": reading pod records: " + e.getMessage());
    }
    if (found.isEmpty()) {
      lines.add(
          what
              + ": unknown pod: no record in "
              + store.dir()
              + " (not captured, or already deleted)");
      if (netnsOverride != null && NetnsCommand.enterable(netnsOverride)) {
        try {
          new InPodRules(netnsOverride).remove();
          lines.add(what + ": removed any capture rules from " + netnsOverride);
        } catch (IOException e) {
          lines.add(what + ": removing rules from " + netnsOverride + " failed: " + e.getMessage());
        }
      }
      return new Outcome(UNKNOWN_POD, lines);
    }
    PodRecord record = found.get();
    try {
      CniMessage.Ack ack = CniClient.sendOne(socket, timeout, new CniMessage.DelPod(record.uid()));
      if (!ack.ok()) {
        lines.add(what + ": warning: ztunnel refused the delete: " + ack.error());
      }
    } catch (CniClientException e) {
      lines.add(
          what + ": warning: " + e.getMessage() + " (ztunnel drops the pod at its next snapshot)");
    }
    Path ns = netnsOverride != null ? netnsOverride : Path.of(record.netns());
    if (NetnsCommand.enterable(ns)) {
      try {
        new InPodRules(ns).remove();
      } catch (IOException e) {
        lines.add(what + ": removing rules failed (record kept, retry del): " + e.getMessage());
        return new Outcome(RULES_FAILED, lines);
      }
      lines.add(what + ": rules removed from " + ns);
    } else {
      lines.add(what + ": netns " + ns + " is gone, and its rules with it");
    }
    try {
      store.delete(record.uid());
    } catch (IOException e) {
      lines.add(what + ": removing the record failed: " + e.getMessage());
      return new Outcome(FAILED, lines);
    }
    lines.add(what + ": released " + record.uid());
    return new Outcome(OK, lines);
  }

  /**
   * After a ztunnel (re)start: on one connection, re-send every recorded pod whose namespace still
   * exists (records of vanished namespaces are dropped), then SnapshotSent, which tells ztunnel to
   * drop any pod not re-sent.
   */
  public Outcome resync() {
    String what = "cni resync";
    List<String> lines = new ArrayList<>();
    List<PodRecord> records;
    try {
      records = store.all();
    } catch (IOException | IllegalArgumentException e) {
      return fail(BAD_INPUT, what + ": reading pod records: " + e.getMessage());
    }
    int failures = 0;
    try (CniClient client = CniClient.connect(socket, timeout)) {
      for (PodRecord r : records) {
        String pod = r.namespace() + "/" + r.name();
        if (!NetnsCommand.enterable(Path.of(r.netns()))) {
          store.delete(r.uid());
          lines.add(what + ": " + pod + ": netns " + r.netns() + " is gone, record dropped");
          continue;
        }
        CniMessage.Ack ack = client.send(r.addMessage());
        if (ack.ok()) {
          lines.add(what + ": " + pod + ": re-sent");
        } else {
          failures++;
          lines.add(
              what
                  + ": "
                  + pod
                  + ": ztunnel refused it: "
                  + ack.error()
                  + " (rules kept: its traffic fails closed)");
        }
      }
      CniMessage.Ack ack = client.send(new CniMessage.SnapshotSent());
      if (!ack.ok()) {
        lines.add(what + ": ztunnel refused the end of the snapshot: " + ack.error());
        return new Outcome(FAILED, lines);
      }
    } catch (IOException e) {
      lines.add(what + ": " + e.getMessage());
      return new Outcome(FAILED, lines);
    }
    lines.add(
        what + ": snapshot sent (" + (records.size()) + " record(s), " + failures + " refused)");
    return new Outcome(failures == 0 ? OK : FAILED, lines);
  }

  /** Undoes a failed add; returns the text to append to the failure line. */
  private String rollback(InPodRules rules, PodRecord record) {
    StringBuilder s = new StringBuilder();
    try {
      rules.remove();
      s.append("; rules removed, pod not captured");
    } catch (IOException e) {
      s.append("; AND removing the rules failed: ").append(e.getMessage());
    }
    if (record != null) {
      try {
        store.delete(record.uid());
      } catch (IOException e) {
        s.append("; AND removing the record failed: ").append(e.getMessage());
      }
    }
    return s.toString();
  }

  /** True when an interface inside {@code netns} carries one of {@code addresses}. */
  public static boolean holdsAnyOf(Path netns, List<InetAddress> addresses) throws IOException {
    String out = NetnsCommand.run(netns, null, "ip", "-o", "addr", "show");
    for (String line : out.split("\n")) {
      // "2: eth0    inet 10.71.1.2/24 brd ... scope global eth0"
      String[] f = line.trim().split("\\s+");
      for (int i = 0; i + 1 < f.length; i++) {
        if (f[i].equals("inet") || f[i].equals("inet6")) {
          String ip =
              f[i + 1].contains("/") ? f[i + 1].substring(0, f[i + 1].indexOf('/')) : f[i + 1];
          for (InetAddress a : addresses) {
            if (a.getHostAddress().equals(InetAddress.getByName(ip).getHostAddress())) {
              return true;
            }
          }
        }
      }
    }
    return false;
  }

  private static Outcome fail(int code, String line) {
    return new Outcome(code, List.of(line));
  }

  /** {@code ns/name} split, or null when malformed. */
  private static String[] podRef(String pod) {
    if (pod == null) {
      return null;
    }
    int slash = pod.indexOf('/');
    if (slash <= 0 || slash == pod.length() - 1 || pod.indexOf('/', slash + 1) >= 0) {
      return null;
    }
    return new String[] {pod.substring(0, slash), pod.substring(slash + 1)};
  }
}
