package dev.ambient.controller.demo;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ambient.netlab.Exec;
import dev.ambient.netlab.NetLab;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * Runs {@code mesh demo} for real: a CA and two ztunnels as child JVMs, traffic, a policy. The demo
 * checks its own outcome (exit code 1 if anything the mesh promises did not happen).
 */
class DemoCommandTest {

  @TempDir Path workDir;

  @Test
  void theDemoRunsEndToEndAndItsChecksPass() {
    List<ProcessHandle> before = ProcessHandle.current().descendants().toList();
    DemoCommand demo = new DemoCommand();
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    demo.out = new PrintStream(captured, true, StandardCharsets.UTF_8);
    int code =
        new CommandLine(demo).execute("--mode", "loopback", "--work-dir", workDir.toString());
    String output = captured.toString(StandardCharsets.UTF_8);

    assertThat(code).as(output).isZero();
    assertThat(output)
        .contains("PASS  every call without a policy succeeded")
        .contains("PASS  with the DENY policy, intruder (namespace other) is refused")
        .contains("PASS  node-b logged the denials with the policy's name")
        .doesNotContain("FAIL  ")
        .contains("spiffe://cluster.local/ns/other/sa/intruder")
        .contains("istio_tcp_connections_opened_total");
    assertThat(ProcessHandle.current().descendants().filter(p -> !before.contains(p)).toList())
        .as("processes left behind")
        .isEmpty();
  }

  @Test
  @Tag("root")
  void theInPodDemoCapturesUnmodifiedCurlInPodNamespaces() {
    Assumptions.assumeTrue(
        NetLab.unavailableReason().isEmpty() && Exec.available("curl"),
        "skipped: the in-pod demo needs root, iproute2, iptables and curl");
    DemoCommand demo = new DemoCommand();
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    demo.out = new PrintStream(captured, true, StandardCharsets.UTF_8);
    int code = new CommandLine(demo).execute("--mode", "inpod", "--work-dir", workDir.toString());
    String output = captured.toString(StandardCharsets.UTF_8);

    assertThat(code).as(output).isZero();
    assertThat(output)
        .contains("PASS  with the DENY policy, intruder (namespace other) is refused")
        .contains("hello from echo-v1")
        .contains("hello from echo-v2")
        .contains("packets on port 15008")
        .contains(
            "PASS  after node-b's ztunnel was killed (SIGKILL) and restarted, traffic resumed")
        .doesNotContain("FAIL  ");
  }

  @Test
  void interruptingTheDemoStopsEveryProcessItStarted() throws Exception {
    Path log = workDir.resolve("demo.out");
    List<String> command = new ArrayList<>();
    command.add(ProcessHandle.current().info().command().orElse("java"));
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add("dev.ambient.controller.cli.MeshCommand");
    command.add("demo");
    command.add("--mode");
    command.add("loopback");
    command.add("--work-dir");
    command.add(workDir.resolve("run").toString());
    Process demo =
        new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    try {
      Awaitility.await()
          .atMost(Duration.ofSeconds(90))
          .until(() -> Files.exists(log) && Files.readString(log).contains("Starting ztunnels"));
      // The CA and both ztunnels are running as the demo's children.
      List<ProcessHandle> children =
          Awaitility.await()
              .atMost(Duration.ofSeconds(30))
              .until(() -> demo.toHandle().children().toList(), c -> c.size() >= 3);
      demo.destroy(); // SIGTERM: the same shutdown path as Ctrl-C (SIGINT)
      assertThat(demo.waitFor(60, TimeUnit.SECONDS)).isTrue();
      Awaitility.await()
          .atMost(Duration.ofSeconds(30))
          .untilAsserted(
              () ->
                  assertThat(children.stream().filter(ProcessHandle::isAlive).toList())
                      .as("left behind")
                      .isEmpty());
    } finally {
      demo.toHandle().descendants().forEach(ProcessHandle::destroyForcibly);
      demo.destroyForcibly();
    }
  }
}
