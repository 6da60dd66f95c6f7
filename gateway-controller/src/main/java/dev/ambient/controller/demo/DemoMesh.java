package dev.ambient.controller.demo;

import static dev.ambient.controller.demo.DemoTopology.CA;
import static dev.ambient.controller.demo.DemoTopology.NODE_A_IP;
import static dev.ambient.controller.demo.DemoTopology.NODE_B_IP;
import static dev.ambient.controller.demo.DemoTopology.TRUST_DOMAIN;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The mesh the demos run, as child processes started through the {@code mesh} CLI exactly as a user
 * would: the CA with a bootstrap token per node, and a ztunnel for node-a and node-b, each waited
 * for until ready. Also the small HTTP helpers the demos read the components with.
 */
final class DemoMesh {
  static final String[][] NODES = {{"node-a", NODE_A_IP}, {"node-b", NODE_B_IP}};
  private static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  private final ChildProcesses children;
  private final Path workDir;
  private final Path config;
  private final Path caState;
  private final Map<String, Process> ztunnels = new HashMap<>();

  DemoMesh(ChildProcesses children, Path workDir, Path config) {
    this.children = children;
    this.workDir = workDir;
    this.config = config;
    this.caState = workDir.resolve("ca");
  }

  /** Issues both nodes' tokens, starts the CA and waits until it serves. */
  void startCa() throws Exception {
    Path log = workDir.resolve("ca.log");
    for (String[] node : NODES) {
      children.runToCompletion(
          log,
          List.of(
              "ca",
              "token",
              "--state-dir",
              caState.toString(),
              "--node",
              node[0],
              "--out",
              token(node[0]).toString()));
    }
    children.start(
        log,
        List.of(
            "ca",
            "serve",
            "--state-dir",
            caState.toString(),
            "--config",
            config.toString(),
            "--listen",
            CA.getHostString() + ":" + CA.getPort(),
            "--trust-domain",
            TRUST_DOMAIN));
    waitFor("the CA", () -> Files.exists(caState.resolve("trust-bundle.pem")) && portOpen(CA), log);
  }

  /** Starts both ztunnels (in-pod capture or SOCKS5 only) and waits until both are ready. */
  void startZtunnels(boolean inPod) throws Exception {
    for (String[] node : NODES) {
      startZtunnel(node, inPod);
    }
    for (String[] node : NODES) {
      awaitReady(node);
    }
  }

  /**
   * Kills a node's ztunnel with SIGKILL (no drain, no cleanup: a crash), starts a new one and waits
   * until it is ready. Pods keep running; their rules stay; the new ztunnel serves nothing until
   * the CNI step re-sends the pods.
   */
  void killAndRestartZtunnel(String nodeName, boolean inPod) throws Exception {
    String[] node = node(nodeName);
    Process old = ztunnels.get(nodeName);
    old.destroyForcibly();
    old.waitFor();
    startZtunnel(node, inPod);
    awaitReady(node);
  }

  private static String[] node(String name) {
    for (String[] n : NODES) {
      if (n[0].equals(name)) {
        return n;
      }
    }
    throw new IllegalArgumentException("no demo node " + name);
  }

  private void startZtunnel(String[] node, boolean inPod) throws Exception {
    List<String> args =
        new ArrayList<>(
            List.of(
                "ztunnel",
                "--config",
                config.toString(),
                "--node",
                node[0],
                "--trust-domain",
                TRUST_DOMAIN,
                "--ca-address",
                CA.getHostString() + ":" + CA.getPort(),
                "--ca-root",
                caState.resolve("trust-bundle.pem").toString(),
                "--ca-token-file",
                token(node[0]).toString(),
                "--node-ip",
                node[1]));
    if (inPod) {
      args.addAll(List.of("--inpod-socket", socket(node[0]).toString()));
    }
    ztunnels.put(node[0], children.start(workDir.resolve(node[0] + ".log"), args));
  }

  private void awaitReady(String[] node) throws Exception {
    URI ready = URI.create("http://" + node[1] + ":15021/healthz/ready");
    waitFor(node[0] + " readiness", () -> status(ready) == 200, workDir.resolve(node[0] + ".log"));
  }

  /** Where a node's ztunnel takes pods from the CNI step. */
  Path socket(String node) {
    return workDir.resolve(node + ".sock");
  }

  private Path token(String node) {
    return workDir.resolve(node + ".token");
  }

  static URI metrics(String nodeIp) {
    return URI.create("http://" + nodeIp + ":15020/metrics");
  }

  static URI configDump(String nodeIp) {
    return URI.create("http://" + nodeIp + ":15000/config_dump");
  }

  static int status(URI uri) throws IOException, InterruptedException {
    return HTTP.send(
            HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(2)).build(),
            HttpResponse.BodyHandlers.discarding())
        .statusCode();
  }

  static String body(URI uri) throws IOException, InterruptedException {
    return HTTP.send(
            HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(2)).build(),
            HttpResponse.BodyHandlers.ofString())
        .body();
  }

  interface Check {
    boolean ok() throws Exception;
  }

  /** Polls for up to a minute; on timeout the error shows the end of the component's log. */
  static void waitFor(String what, Check check, Path log) throws Exception {
    Instant deadline = Instant.now().plusSeconds(60);
    while (Instant.now().isBefore(deadline)) {
      try {
        if (check.ok()) {
          return;
        }
      } catch (IOException notYet) {
        // Not up yet.
      }
      Thread.sleep(200);
    }
    String tail = "";
    if (Files.exists(log)) {
      List<String> lines = Files.readAllLines(log);
      tail = String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size()));
    }
    throw new IOException(
        "timed out waiting for " + what + "; last lines of " + log + ":\n" + tail);
  }

  private static boolean portOpen(InetSocketAddress a) {
    try (Socket s = new Socket()) {
      s.connect(a, 500);
      return true;
    } catch (IOException e) {
      return false;
    }
  }
}
