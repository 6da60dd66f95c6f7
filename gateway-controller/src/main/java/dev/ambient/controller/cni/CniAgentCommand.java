package dev.ambient.controller.cni;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.sun.net.httpserver.HttpServer;
import dev.ambient.api.config.CliValues;
import dev.ambient.controller.kube.KubeTranslator;
import dev.ambient.ztunnel.cni.CniCommand;
import dev.ambient.ztunnel.cni.CniPlugin;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code mesh cni agent}: the CNI DaemonSet's program on each node (Istio's install-cni and CNI
 * node agent in one). It installs the plugin and chains it into the node's CNI configuration, then
 * answers the plugin for every pod the runtime starts or stops, and re-sends the captured pods to
 * ztunnel when ztunnel restarts. On SIGTERM it takes the plugin out again, so a node without the
 * agent starts pods as before.
 */
@Command(
    name = "agent",
    mixinStandardHelpOptions = true,
    description =
        "The CNI DaemonSet's node agent: installs the CNI plugin, captures ambient pods as they"
            + " start (needs root, hostNetwork).")
public final class CniAgentCommand implements Callable<Integer> {
  private static final Logger LOG = LoggerFactory.getLogger(CniAgentCommand.class);

  @Spec CommandSpec spec;

  @Option(
      names = "--node",
      defaultValue = "${env:NODE_NAME}",
      description = "This node's name. Default: $NODE_NAME.")
  String node;

  @Option(names = "--kubeconfig", description = "Default: the pod's service account.")
  Path kubeconfig;

  @Option(
      names = "--cni-conf-dir",
      defaultValue = "/host/etc/cni/net.d",
      description = "The node's CNI configuration directory. Default: ${DEFAULT-VALUE}.")
  Path confDir;

  @Option(
      names = "--cni-bin-dir",
      defaultValue = "/host/opt/cni/bin",
      description = "The node's CNI plugin directory. Default: ${DEFAULT-VALUE}.")
  Path binDir;

  @Option(
      names = "--socket",
      defaultValue = "/var/run/ambient-cni/plugin.sock",
      description =
          "Where the plugin reaches this agent (the same path on the node). Default: ${DEFAULT-VALUE}.")
  Path socket;

  @Option(
      names = "--ztunnel-socket",
      defaultValue = CniCommand.DEFAULT_SOCKET,
      description = "ztunnel's in-pod socket. Default: ${DEFAULT-VALUE}.")
  Path ztunnelSocket;

  @Option(
      names = "--state-dir",
      defaultValue = CniCommand.DEFAULT_STATE_DIR,
      description = "Where captured pods are recorded. Default: ${DEFAULT-VALUE}.")
  Path stateDir;

  @Option(
      names = "--exclude-namespaces",
      split = ",",
      defaultValue = "kube-system,istio-system",
      description =
          "Pods here start without asking the agent (the plugin passes them). Default: ${DEFAULT-VALUE}.")
  List<String> excluded;

  @Option(
      names = "--plugin-command",
      split = " ",
      description =
          "The command the installed plugin runs (default: this JVM and jar, `cni plugin`; a"
              + " node needs the same JVM path).")
  List<String> pluginCommand;

  @Option(
      names = "--netns-dir",
      defaultValue = "/var/run/netns",
      description =
          "Where the runtime mounts pods' network namespaces (to find running pods that join the"
              + " mesh). Default: ${DEFAULT-VALUE}.")
  Path netnsDir;

  @Option(
      names = "--readiness",
      defaultValue = "0.0.0.0:15022",
      description = "HTTP readiness listener (/readyz). Default: ${DEFAULT-VALUE}.")
  String readiness;

  @Option(
      names = "--timeout",
      defaultValue = "10s",
      description = "How long to wait for ztunnel's answers. Default: ${DEFAULT-VALUE}.")
  String timeout;

  @Override
  public Integer call() throws Exception {
    PrintWriter err = spec.commandLine().getErr();
    if (node == null || node.isBlank()) {
      err.println("cni agent: --node is empty (set it, or NODE_NAME from spec.nodeName)");
      return 2;
    }
    Duration ztunnelTimeout;
    List<String> command;
    java.net.InetSocketAddress listen;
    try {
      ztunnelTimeout = CliValues.duration("--timeout", timeout);
      command = pluginCommand != null ? pluginCommand : defaultPluginCommand();
      listen = CliValues.hostPort("--readiness", readiness);
    } catch (IllegalArgumentException e) {
      err.println("cni agent: " + e.getMessage());
      return 2;
    }
    KubernetesClient client = connect();
    CniPlugin plugin = new CniPlugin(ztunnelSocket, stateDir, ztunnelTimeout);
    PodCapturer capturer =
        new PodCapturer(client, node, plugin, KubeTranslator.Settings.DEFAULT.clusterId());
    PluginEventServer events = new PluginEventServer(socket, capturer::handle);
    events.start();
    RunningPodReconciler running =
        new RunningPodReconciler(
            client, node, plugin, KubeTranslator.Settings.DEFAULT.clusterId(), netnsDir);
    running.start();

    JsonObject conf = new JsonObject();
    conf.addProperty("agent_socket", socket.toString());
    JsonArray ex = new JsonArray();
    excluded.forEach(ex::add);
    conf.add("exclude_namespaces", ex);
    CniInstaller installer = new CniInstaller(confDir, binDir, conf);
    installer.installPlugin(command);
    Path list = installer.ensureChained();
    LOG.info(
        "CNI plugin {} installed and chained in {}; answering on {}",
        installer.pluginPath(),
        list,
        socket);

    AtomicBoolean ready = new AtomicBoolean(true);
    HttpServer http = HttpServer.create(listen, 0);
    http.createContext(
        "/readyz",
        ex2 -> {
          int code = ready.get() ? 200 : 503;
          byte[] body = (code == 200 ? "ready\n" : "not ready\n").getBytes();
          ex2.sendResponseHeaders(code, body.length);
          ex2.getResponseBody().write(body);
          ex2.close();
        });
    http.start();

    ScheduledExecutorService loop =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "cni-agent-reconcile");
              t.setDaemon(true);
              return t;
            });
    Object[] ztunnelSeen = {fileKey(ztunnelSocket)};
    loop.scheduleWithFixedDelay(
        () -> {
          // Level-triggered: the main plugin may rewrite its conflist, ztunnel may restart.
          try {
            installer.ensureChained();
            ready.set(true);
          } catch (IOException | RuntimeException e) {
            ready.set(false);
            LOG.warn("cannot keep the plugin chained: {}", e.getMessage());
          }
          Object now = fileKey(ztunnelSocket);
          if (now != null && !Objects.equals(now, ztunnelSeen[0])) {
            LOG.info(
                "ztunnel socket {} is new (ztunnel restarted): re-sending pods", ztunnelSocket);
            CniPlugin.Outcome o = plugin.resync();
            o.lines().forEach(l -> LOG.info("resync: {}", l));
            if (o.ok()) {
              ztunnelSeen[0] = now;
            }
          }
        },
        2,
        2,
        TimeUnit.SECONDS);

    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  loop.shutdownNow();
                  String keep = restartingReason(client);
                  if (keep != null) {
                    // A new agent follows: pods starting meanwhile fail and are retried (closed).
                    LOG.info("keeping the CNI plugin chained: {}", keep);
                  } else {
                    try {
                      installer.uninstall();
                      LOG.info("CNI plugin removed from {} and {}", confDir, binDir);
                    } catch (IOException | RuntimeException e) {
                      LOG.warn("removing the CNI plugin failed: {}", e.getMessage());
                    }
                  }
                  running.close();
                  events.close();
                  http.stop(0);
                  client.close();
                  stopped.countDown();
                },
                "cni-agent-shutdown"));
    stopped.await();
    return 0;
  }

  /**
   * Why this shutdown is a restart (the agent's DaemonSet still exists and is not being deleted: a
   * rollout, an eviction), or null when the mesh is being uninstalled, or when that cannot be told:
   * then the plugin goes, so a node is never left refusing pods for an agent that is gone.
   */
  static String restartingReason(KubernetesClient client) {
    String name = System.getenv("POD_NAME");
    String namespace = System.getenv("POD_NAMESPACE");
    if (name == null || namespace == null) {
      return null;
    }
    try {
      Pod self = client.pods().inNamespace(namespace).withName(name).get();
      if (self == null || self.getMetadata().getOwnerReferences() == null) {
        return null;
      }
      for (OwnerReference owner : self.getMetadata().getOwnerReferences()) {
        if (!"DaemonSet".equals(owner.getKind())) {
          continue;
        }
        DaemonSet ds =
            client.apps().daemonSets().inNamespace(namespace).withName(owner.getName()).get();
        if (ds != null
            && ds.getMetadata().getDeletionTimestamp() == null
            && ds.getMetadata().getUid().equals(owner.getUid())) {
          return "DaemonSet " + namespace + "/" + owner.getName() + " is not being deleted";
        }
      }
      return null;
    } catch (RuntimeException e) {
      LOG.warn("cannot tell a restart from an uninstall ({}): removing the plugin", e.getMessage());
      return null;
    }
  }

  private static Object fileKey(Path p) {
    try {
      BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class);
      return a.fileKey() + "@" + a.creationTime() + "@" + a.lastModifiedTime();
    } catch (IOException e) {
      return null;
    }
  }

  private KubernetesClient connect() throws IOException {
    Config kube;
    if (kubeconfig != null) {
      kube = Config.fromKubeconfig(Files.readString(kubeconfig));
    } else {
      kube = new ConfigBuilder().withAutoConfigure(true).build();
    }
    return new KubernetesClientBuilder().withConfig(kube).build();
  }

  /** This JVM running this jar: what the lab's nodes (one machine) can run as the plugin. */
  static List<String> defaultPluginCommand() {
    Path jar;
    try {
      jar =
          Path.of(
              CniAgentCommand.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    } catch (URISyntaxException | RuntimeException e) {
      throw new IllegalArgumentException("--plugin-command: cannot locate this jar: " + e);
    }
    if (!Files.isRegularFile(jar)) {
      throw new IllegalArgumentException(
          "--plugin-command: not running from a jar (" + jar + "): give the command");
    }
    List<String> out = new ArrayList<>();
    out.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    // A plugin run is short: start fast rather than optimise.
    out.add("-XX:TieredStopAtLevel=1");
    out.add("-XX:+UseSerialGC");
    out.add("-jar");
    out.add(jar.toString());
    out.add("cni");
    out.add("plugin");
    return out;
  }
}
