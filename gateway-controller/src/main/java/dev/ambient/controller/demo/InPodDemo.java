package dev.ambient.controller.demo;

import static dev.ambient.controller.demo.DemoTopology.NODE_A_IP;
import static dev.ambient.controller.demo.DemoTopology.NODE_B_IP;

import dev.ambient.netlab.NetLab;
import dev.ambient.netlab.Node;
import dev.ambient.netlab.Pod;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * {@code mesh demo --inpod}: the same story as the loopback demo, but as Istio ambient runs it.
 * Pods are network namespaces on two nodes; the CNI step installs the in-pod rules and hands each
 * mesh pod to its node's ztunnel; an unmodified {@code curl} inside a pod reaches a plain HTTP
 * server inside another, and nothing in either knows about the mesh. A pod outside the mesh reaches
 * a mesh pod in plaintext (through ztunnel's inbound 15006) and is subject to policy.
 */
final class InPodDemo {
  private static final String VIP = "10.96.0.10";

  private final Path workDir;
  private final PrintStream out;
  private final List<DemoCommand.Call> calls = new ArrayList<>();

  InPodDemo(Path workDir, PrintStream out) {
    this.workDir = workDir;
    this.out = out;
  }

  int run() throws Exception {
    Files.createDirectories(workDir);
    Path config = workDir.resolve("mesh.yaml");
    try (NetLab lab = NetLab.create();
        ChildProcesses children = new ChildProcesses()) {
      step("Nodes and pods as network namespaces (prefix " + lab.prefix() + ")");
      Node a = lab.node("a", "10.72.1.0/24");
      Node b = lab.node("b", "10.72.2.0/24");
      lab.link(a, b);
      Pod sleep = lab.pod(a, "sleep");
      Pod intruder = lab.pod(a, "intruder");
      Pod legacy = lab.pod(a, "legacy");
      Pod v1 = lab.pod(b, "echo-v1");
      Pod v2 = lab.pod(b, "echo-v2");
      for (Pod p : lab.pods()) {
        out.printf(
            "  pod %-9s %-12s on node %s%n", p.name(), p.ip().getHostAddress(), p.node().name());
      }
      Files.writeString(config, meshYaml(sleep, intruder, v1, v2, false));

      step("Sample HTTP servers inside the echo pods (plain HTTP on :8080, no mesh code)");
      for (Pod p : List.of(v1, v2)) {
        lab.start(
            p, NetLab.javaArgv(SampleHttpServer.class, p.name(), "8080").toArray(String[]::new));
      }

      step("CA on 127.0.0.10:15012, ztunnels for node-a and node-b in in-pod mode");
      DemoMesh mesh = new DemoMesh(children, workDir, config);
      mesh.startCa();
      mesh.startZtunnels(true);

      step(
          "CNI step for the mesh pods: in-pod rules, then the pod is handed to its node's ztunnel");
      Path cniLog = workDir.resolve("cni.log");
      for (Object[] c :
          new Object[][] {
            {sleep, "default/sleep", "node-a"}, {intruder, "other/intruder", "node-a"},
            {v1, "default/echo-v1", "node-b"}, {v2, "default/echo-v2", "node-b"}
          }) {
        Pod p = (Pod) c[0];
        String node = (String) c[2];
        children.runToCompletion(
            cniLog,
            List.of(
                "cni",
                "add",
                "--netns",
                p.netnsPath().toString(),
                "--pod",
                (String) c[1],
                "--config",
                config.toString(),
                "--node",
                node,
                "--socket",
                mesh.socket(node).toString(),
                "--state-dir",
                workDir.resolve("cni-" + node).toString()));
      }
      out.println(
          "  captured: sleep, intruder (node-a), echo-v1, echo-v2 (node-b); legacy is not in the mesh");

      LinkCapture capture = LinkCapture.start(lab, a, b, workDir.resolve("node-link.pcap"));
      Map<String, Double> beforeB = PrometheusText.scrape(DemoMesh.metrics(NODE_B_IP));
      Map<String, Double> beforeA = PrometheusText.scrape(DemoMesh.metrics(NODE_A_IP));

      step("Traffic with no policy: curl inside the pods, no proxy settings");
      String vipUrl = "http://" + VIP + "/";
      for (int i = 0; i < 4; i++) {
        curl(
            "no policy",
            sleep,
            "spiffe://cluster.local/ns/default/sa/sleep",
            vipUrl,
            "echo (VIP " + VIP + ")");
      }
      curl(
          "no policy",
          intruder,
          "spiffe://cluster.local/ns/other/sa/intruder",
          vipUrl,
          "echo (VIP " + VIP + ")");
      String podUrl = "http://" + v1.ip().getHostAddress() + ":8080/";
      curl(
          "no policy",
          sleep,
          "spiffe://cluster.local/ns/default/sa/sleep",
          podUrl,
          "echo-v1 pod " + v1.ip().getHostAddress());
      curl(
          "no policy",
          legacy,
          "(none: not in the mesh)",
          podUrl,
          "echo-v1 pod, plaintext via 15006");

      step(
          "Applying AuthorizationPolicy default/deny-other-namespace (DENY from namespace 'other')");
      Files.writeString(config, meshYaml(sleep, intruder, v1, v2, true));
      URI dump = DemoMesh.configDump(NODE_B_IP);
      DemoMesh.waitFor(
          "node-b to load the policy",
          () -> DemoMesh.body(dump).contains("deny-other-namespace"),
          workDir.resolve("node-b.log"));

      step("Traffic with the policy");
      for (int i = 0; i < 2; i++) {
        curl(
            "DENY policy",
            sleep,
            "spiffe://cluster.local/ns/default/sa/sleep",
            vipUrl,
            "echo (VIP " + VIP + ")");
        curl(
            "DENY policy",
            intruder,
            "spiffe://cluster.local/ns/other/sa/intruder",
            vipUrl,
            "echo (VIP " + VIP + ")");
      }

      String link = capture.stop();
      Map<String, Double> afterA = PrometheusText.scrape(DemoMesh.metrics(NODE_A_IP));
      Map<String, Double> afterB = PrometheusText.scrape(DemoMesh.metrics(NODE_B_IP));
      String certificates = DemoMesh.body(DemoMesh.configDump(NODE_A_IP));

      step(
          "Crash and restart: node-b's ztunnel is killed (SIGKILL) while the pods keep running;"
              + " a new one starts and 'mesh cni resync' re-sends node-b's pods");
      mesh.killAndRestartZtunnel("node-b", true);
      children.runToCompletion(
          cniLog,
          List.of(
              "cni",
              "resync",
              "--socket",
              mesh.socket("node-b").toString(),
              "--state-dir",
              workDir.resolve("cni-node-b").toString()));
      for (int i = 0; i < 2; i++) {
        curl(
            "after restart",
            sleep,
            "spiffe://cluster.local/ns/default/sa/sleep",
            vipUrl,
            "echo (VIP " + VIP + ")");
      }

      DemoSummary summary = new DemoSummary(out);
      summary.calls(calls);
      List<Map<String, String>> inbound = summary.accessLog(workDir.resolve("node-b.log"));
      summary.certificates(certificates, "node-a");
      summary.metrics("node-a (reporter=source)", beforeA, afterA);
      summary.metrics("node-b (reporter=destination, before its restart)", beforeB, afterB);
      out.println();
      out.println("--- On the wire between the nodes (tcpdump on the node link) ---");
      out.println("  " + link);
      summary.footer(workDir);
      boolean passed = summary.checks(calls, inbound);
      step("Stopping everything the demo started (processes, namespaces, rules)");
      return passed ? 0 : 1;
    }
  }

  private void curl(String phase, Pod from, String identity, String url, String label)
      throws IOException, InterruptedException {
    Process p = from.command("curl", "-sS", "-m", "5", url).redirectErrorStream(true).start();
    String output = new String(p.getInputStream().readAllBytes()).trim();
    boolean finished = p.waitFor(10, TimeUnit.SECONDS);
    boolean ok = finished && p.exitValue() == 0 && output.startsWith("hello from");
    Socks5HttpClient.Result r =
        new Socks5HttpClient.Result(ok, output.isEmpty() ? "curl: no output" : output);
    calls.add(new DemoCommand.Call(phase, from.name(), identity, label, r));
    out.printf("  %-8s -> %-36s %s%n", from.name(), label, (ok ? "OK   " : "FAIL ") + r.detail());
  }

  private static String meshYaml(Pod sleep, Pod intruder, Pod v1, Pod v2, boolean withDeny) {
    String yaml =
        """
        trustDomain: cluster.local
        workloads:
        - {name: sleep, namespace: default, serviceAccount: sleep, node: node-a, addresses: [%s], labels: {app: sleep}}
        - {name: intruder, namespace: other, serviceAccount: intruder, node: node-a, addresses: [%s], labels: {app: intruder}}
        - {name: echo-v1, namespace: default, serviceAccount: echo, node: node-b, addresses: [%s], labels: {app: echo, version: v1}}
        - {name: echo-v2, namespace: default, serviceAccount: echo, node: node-b, addresses: [%s], labels: {app: echo, version: v2}}
        services:
        - name: echo
          namespace: default
          vips: [%s]
          ports: [{port: 80, targetPort: 8080}]
          endpoints: {app: echo}
        """
            .formatted(
                sleep.ip().getHostAddress(),
                intruder.ip().getHostAddress(),
                v1.ip().getHostAddress(),
                v2.ip().getHostAddress(),
                VIP);
    if (withDeny) {
      yaml +=
          """
          authorizationPolicies:
          - metadata: {name: deny-other-namespace, namespace: default}
            spec:
              selector: {matchLabels: {app: echo}}
              action: DENY
              rules:
              - from:
                - source: {namespaces: [other]}
          """;
    }
    return yaml;
  }

  private void step(String text) {
    out.println();
    out.println("==> " + text);
  }

  /** tcpdump on node a's end of the node link: what actually crossed between the nodes. */
  private static final class LinkCapture {
    private final Process tcpdump;
    private final Path file;
    private final Node node;

    private LinkCapture(Process tcpdump, Path file, Node node) {
      this.tcpdump = tcpdump;
      this.file = file;
      this.node = node;
    }

    static LinkCapture start(NetLab lab, Node a, Node b, Path file) throws Exception {
      if (!dev.ambient.netlab.Exec.available("tcpdump")) {
        return new LinkCapture(null, file, a);
      }
      Process p =
          lab.start(
              a, "tcpdump", "-i", lab.linkDevice(a, b), "-nn", "-U", "-w", file.toString(), "tcp");
      Thread.sleep(1000); // tcpdump needs a moment before it captures
      return new LinkCapture(p, file, a);
    }

    String stop() throws Exception {
      if (tcpdump == null) {
        return "(tcpdump not installed: no capture)";
      }
      Thread.sleep(500);
      tcpdump.destroy();
      tcpdump.waitFor(5, TimeUnit.SECONDS);
      String text = node.exec("tcpdump", "-nn", "-r", file.toString());
      long hbone = text.lines().filter(l -> l.contains(".15008")).count();
      long plain = text.lines().filter(l -> l.contains(".8080")).count();
      return hbone
          + " packets on port 15008 (HBONE: TLS 1.3 only), "
          + plain
          + " on port 8080 (plaintext: the legacy pod's call, which is outside the mesh)";
    }
  }
}
