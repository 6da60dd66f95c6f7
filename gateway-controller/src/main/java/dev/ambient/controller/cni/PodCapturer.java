package dev.ambient.controller.cni;

import dev.ambient.controller.kube.KubeTranslator;
import dev.ambient.ztunnel.cni.CniPlugin;
import dev.ambient.ztunnel.cni.InPodRules;
import dev.ambient.ztunnel.cni.PluginEvent;
import dev.ambient.ztunnel.cni.PodRecord;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Answers the CNI plugin: asks the API server whether the pod is in the mesh (its namespace
 * labelled {@code istio.io/dataplane-mode=ambient}, the pod not opted out, the same rule the
 * controller applies) and, if so, captures it with {@link CniPlugin} (in-pod rules, then the
 * hand-off to the node's ztunnel; any failure rolls back and fails the ADD).
 */
public final class PodCapturer {
  private static final Logger LOG = LoggerFactory.getLogger(PodCapturer.class);

  private final KubernetesClient client;
  private final String node;
  private final CniPlugin plugin;
  private final String clusterId;

  public PodCapturer(KubernetesClient client, String node, CniPlugin plugin, String clusterId) {
    this.client = client;
    this.node = node;
    this.plugin = plugin;
    this.clusterId = clusterId;
  }

  public PluginEvent.Reply handle(PluginEvent.Request r) {
    String pod = r.namespace() + "/" + r.name();
    PluginEvent.Reply reply;
    switch (r.command()) {
      case "ADD":
        reply = add(r, pod);
        break;
      case "DEL":
        reply = del(r, pod);
        break;
      default:
        reply = check(r, pod);
        break;
    }
    LOG.info("CNI {} {}: {} {}", r.command(), pod, reply.ok() ? "ok" : "FAILED", reply.message());
    return reply;
  }

  private PluginEvent.Reply add(PluginEvent.Request r, String ref) {
    Pod pod;
    Namespace ns;
    try {
      pod = client.pods().inNamespace(r.namespace()).withName(r.name()).get();
      ns = client.namespaces().withName(r.namespace()).get();
    } catch (KubernetesClientException e) {
      return PluginEvent.Reply.failure("cannot ask the API server about it: " + e.getMessage());
    }
    if (pod == null) {
      return PluginEvent.Reply.failure("no such pod in the API server");
    }
    if (!r.podUid().isEmpty() && !r.podUid().equals(pod.getMetadata().getUid())) {
      return PluginEvent.Reply.failure(
          "the API server's pod has uid " + pod.getMetadata().getUid() + ", not " + r.podUid());
    }
    if (Boolean.TRUE.equals(pod.getSpec().getHostNetwork())) {
      return PluginEvent.Reply.ok(false, "hostNetwork pod: not captured");
    }
    if (!KubeTranslator.captured(pod, ns)) {
      return PluginEvent.Reply.ok(false, "not ambient: not captured");
    }
    if (!node.equals(pod.getSpec().getNodeName())) {
      return PluginEvent.Reply.failure(
          "the pod is bound to node " + pod.getSpec().getNodeName() + ", this is " + node);
    }
    if (r.netns().isEmpty()) {
      return PluginEvent.Reply.failure("CNI_NETNS is empty");
    }
    if (r.ips().isEmpty()) {
      return PluginEvent.Reply.failure("the main plugin's result holds no IP address");
    }
    List<InetAddress> addresses = new ArrayList<>();
    for (String ip : r.ips()) {
      if (!ip.matches("[0-9a-fA-F.:]+")) {
        return PluginEvent.Reply.failure("prevResult ips: " + ip + " is not an IP address");
      }
      try {
        addresses.add(InetAddress.getByName(ip));
      } catch (UnknownHostException e) {
        return PluginEvent.Reply.failure("prevResult ips: " + ip + " is not an IP address");
      }
    }
    String sa = pod.getSpec().getServiceAccountName();
    PodRecord record =
        new PodRecord(
            clusterId + "//Pod/" + r.namespace() + "/" + r.name(),
            r.namespace(),
            r.name(),
            sa == null || sa.isEmpty() ? "default" : sa,
            r.netns(),
            r.ips(),
            node);
    CniPlugin.Outcome outcome = plugin.capture(record, addresses);
    return outcome.ok()
        ? PluginEvent.Reply.ok(true, String.join("; ", outcome.lines()))
        : PluginEvent.Reply.failure(String.join("; ", outcome.lines()));
  }

  private PluginEvent.Reply del(PluginEvent.Request r, String ref) {
    Path netns = r.netns().isEmpty() ? null : Path.of(r.netns());
    CniPlugin.Outcome outcome = plugin.del(ref, netns);
    // An unknown pod was never captured: nothing to undo.
    boolean fine = outcome.ok() || outcome.exitCode() == CniPlugin.UNKNOWN_POD;
    return fine
        ? PluginEvent.Reply.ok(false, String.join("; ", outcome.lines()))
        : PluginEvent.Reply.failure(String.join("; ", outcome.lines()));
  }

  private PluginEvent.Reply check(PluginEvent.Request r, String ref) {
    Optional<PodRecord> found;
    try {
      found = plugin.store().find(r.namespace(), r.name());
    } catch (IOException | IllegalArgumentException e) {
      return PluginEvent.Reply.failure("reading pod records: " + e.getMessage());
    }
    if (found.isEmpty()) {
      return PluginEvent.Reply.ok(false, "not captured");
    }
    try {
      return new InPodRules(Path.of(found.get().netns())).installed()
          ? PluginEvent.Reply.ok(true, "captured, rules in place")
          : PluginEvent.Reply.failure("captured, but the in-pod rules are missing");
    } catch (IOException e) {
      return PluginEvent.Reply.failure("cannot read the in-pod rules: " + e.getMessage());
    }
  }
}
