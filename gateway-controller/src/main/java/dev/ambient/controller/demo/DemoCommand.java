package dev.ambient.controller.demo;

import static dev.ambient.controller.demo.DemoTopology.*;

import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code mesh demo}: the whole L4 mesh on one machine. A CA and two ztunnels run as child
 * processes; sample servers and clients run here. The demo calls through the mesh, applies a DENY
 * policy, and prints what happened from what the components themselves report (access logs,
 * metrics, config dumps), not from what the demo expects.
 */
@Command(
    name = "demo",
    mixinStandardHelpOptions = true,
    description = "Run a CA, two ztunnels and sample workloads; show HBONE traffic and a policy.")
public final class DemoCommand implements Callable<Integer> {

  @Option(
      names = "--work-dir",
      description = "Where config, state and logs go (default: ${DEFAULT-VALUE}).",
      defaultValue = ".mesh/demo")
  Path workDir;

  @Option(
      names = "--mode",
      defaultValue = "auto",
      description =
          "inpod: pods as network namespaces with transparent capture and real curl (needs root);"
              + " loopback: workloads on 127.x addresses, clients through SOCKS5;"
              + " waypoint: L7 routing and policy in a waypoint on the lab cluster (needs root);"
              + " auto (default): inpod then waypoint when root, else loopback.")
  String mode;

  @Option(
      names = "--repo",
      description = "The project checkout (default: $MESH_REPO, which ./mesh sets).")
  Path repo;

  private int waypointDemo() throws Exception {
    Path checkout = repo;
    if (checkout == null && System.getenv("MESH_REPO") != null) {
      checkout = Path.of(System.getenv("MESH_REPO"));
    }
    if (checkout == null || !Files.isRegularFile(checkout.resolve("lab/lab.sh"))) {
      out.println("demo --mode waypoint: run it through ./mesh (or pass --repo <checkout>)");
      return 1;
    }
    if (!dev.ambient.netlab.NetLab.unavailableReason().isEmpty()) {
      out.println(
          "demo --mode waypoint needs root for the lab cluster: "
              + dev.ambient.netlab.NetLab.unavailableReason().get());
      return 1;
    }
    return new WaypointDemo(checkout, out).run();
  }

  /** Where the demo reports; a test can capture it. */
  PrintStream out = System.out;

  private final List<Call> calls = new ArrayList<>();

  record Call(
      String phase, String from, String fromIdentity, String to, Socks5HttpClient.Result result) {}

  @Override
  public Integer call() throws Exception {
    Files.createDirectories(workDir);
    for (String f : List.of("ca.log", "node-a.log", "node-b.log", "cni.log", "mesh.yaml")) {
      Files.deleteIfExists(workDir.resolve(f));
    }
    boolean canInPod =
        dev.ambient.netlab.NetLab.unavailableReason().isEmpty()
            && dev.ambient.netlab.Exec.available("curl");
    switch (mode) {
      case "inpod" -> {
        if (!canInPod) {
          out.println(
              "demo --mode inpod needs root, iproute2, iptables and curl: "
                  + dev.ambient.netlab.NetLab.unavailableReason().orElse("curl not found"));
          return 1;
        }
        return new InPodDemo(workDir, out).run();
      }
      case "waypoint" -> {
        return waypointDemo();
      }
      case "auto" -> {
        if (canInPod) {
          int l4 = new InPodDemo(workDir, out).run();
          if (l4 != 0) {
            return l4;
          }
          out.println();
          out.println("==== L7: a waypoint on the lab cluster (./mesh demo --mode waypoint) ====");
          return waypointDemo();
        }
        out.println(
            "(not root: running the loopback demo; 'sudo ./mesh demo' shows in-pod capture)");
      }
      case "loopback" -> {}
      default -> {
        out.println("demo: --mode must be auto, inpod or loopback, not '" + mode + "'");
        return 2;
      }
    }
    preflight();
    Path config = workDir.resolve("mesh.yaml");
    Files.writeString(config, DemoTopology.meshYaml(false));

    try (ChildProcesses children = new ChildProcesses();
        SampleHttpServer v1 =
            new SampleHttpServer("echo-v1", new InetSocketAddress(ECHO_V1_IP, APP_PORT));
        SampleHttpServer v2 =
            new SampleHttpServer("echo-v2", new InetSocketAddress(ECHO_V2_IP, APP_PORT));
        SampleHttpServer legacy =
            new SampleHttpServer(
                "legacy (outside the mesh)", new InetSocketAddress(LEGACY_IP, APP_PORT))) {
      DemoMesh mesh = new DemoMesh(children, workDir, config);
      step("Starting the certificate authority on " + CA.getHostString() + ":" + CA.getPort());
      mesh.startCa();
      step(
          "Starting ztunnels node-a ("
              + NODE_A_IP
              + ") and node-b ("
              + NODE_B_IP
              + "): SOCKS5 :15080, metrics :15020, admin :15000");
      mesh.startZtunnels(false);

      Map<String, Double> before = PrometheusText.scrape(DemoMesh.metrics(NODE_B_IP));
      Map<String, Double> beforeA = PrometheusText.scrape(DemoMesh.metrics(NODE_A_IP));

      step(
          "Traffic with no policy: sleep and intruder call the echo service through node-a's SOCKS5");
      InetSocketAddress echo = new InetSocketAddress(ECHO_VIP, ECHO_PORT);
      for (int i = 0; i < 4; i++) {
        call(
            "no policy",
            "sleep",
            "default/sleep",
            SLEEP_IP,
            echo,
            "echo.default (VIP " + ECHO_VIP + ":80)");
      }
      call(
          "no policy",
          "intruder",
          "other/intruder",
          INTRUDER_IP,
          echo,
          "echo.default (VIP " + ECHO_VIP + ":80)");
      call(
          "no policy",
          "sleep",
          "default/sleep",
          SLEEP_IP,
          new InetSocketAddress(ECHO_V1_IP, APP_PORT),
          "echo-v1 pod " + ECHO_V1_IP + ":8080");
      call(
          "no policy",
          "sleep",
          "default/sleep",
          SLEEP_IP,
          new InetSocketAddress(LEGACY_IP, APP_PORT),
          "legacy " + LEGACY_IP + ":8080 (not in the mesh)");

      step(
          "Applying AuthorizationPolicy default/deny-other-namespace (DENY from namespace 'other' to app=echo)");
      Files.writeString(config, DemoTopology.meshYaml(true));
      URI dump = DemoMesh.configDump(NODE_B_IP);
      DemoMesh.waitFor(
          "node-b to load the policy",
          () -> DemoMesh.body(dump).contains("deny-other-namespace"),
          workDir.resolve("node-b.log"));

      step("Traffic with the policy");
      for (int i = 0; i < 2; i++) {
        call(
            "DENY policy",
            "sleep",
            "default/sleep",
            SLEEP_IP,
            echo,
            "echo.default (VIP " + ECHO_VIP + ":80)");
        call(
            "DENY policy",
            "intruder",
            "other/intruder",
            INTRUDER_IP,
            echo,
            "echo.default (VIP " + ECHO_VIP + ":80)");
      }

      Map<String, Double> after = PrometheusText.scrape(DemoMesh.metrics(NODE_B_IP));
      Map<String, Double> afterA = PrometheusText.scrape(DemoMesh.metrics(NODE_A_IP));
      DemoSummary summary = new DemoSummary(out);
      summary.calls(calls);
      List<Map<String, String>> inbound = summary.accessLog(workDir.resolve("node-b.log"));
      summary.certificates(DemoMesh.body(DemoMesh.configDump(NODE_A_IP)), "node-a");
      summary.metrics("node-a (reporter=source)", beforeA, afterA);
      summary.metrics("node-b (reporter=destination)", before, after);
      summary.footer(workDir);
      boolean passed = summary.checks(calls, inbound);
      step("Stopping everything the demo started");
      return passed ? 0 : 1;
    }
  }

  private void call(
      String phase,
      String from,
      String ns_sa,
      String sourceIp,
      InetSocketAddress target,
      String label)
      throws IOException {
    Socks5HttpClient.Result r =
        Socks5HttpClient.get(socks(NODE_A_IP), InetAddress.getByName(sourceIp), target);
    String[] parts = ns_sa.split("/");
    String identity = "spiffe://" + TRUST_DOMAIN + "/ns/" + parts[0] + "/sa/" + parts[1];
    calls.add(new Call(phase, from, identity, label, r));
    out.printf("  %-8s -> %-36s %s%n", from, label, (r.ok() ? "OK   " : "FAIL ") + r.detail());
  }

  /** Refuses to start over something already using the demo's addresses. */
  private static void preflight() throws IOException {
    List<InetSocketAddress> needed =
        List.of(
            CA,
            socks(NODE_A_IP),
            socks(NODE_B_IP),
            new InetSocketAddress(ECHO_V1_IP, APP_PORT),
            new InetSocketAddress(ECHO_V2_IP, APP_PORT),
            new InetSocketAddress(LEGACY_IP, APP_PORT));
    for (InetSocketAddress a : needed) {
      try (ServerSocket s = new ServerSocket()) {
        s.bind(a);
      } catch (IOException e) {
        throw new IOException(
            "address "
                + a.getHostString()
                + ":"
                + a.getPort()
                + " is in use; is another demo running? ("
                + e.getMessage()
                + ")");
      }
    }
  }

  private void step(String text) {
    out.println();
    out.println("==> " + text);
  }
}
