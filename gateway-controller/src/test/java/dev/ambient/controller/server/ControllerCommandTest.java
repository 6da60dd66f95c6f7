package dev.ambient.controller.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.ambient.api.model.MeshState;
import dev.ambient.controller.ca.BootstrapTokens;
import dev.ambient.controller.cli.MeshCommand;
import dev.ambient.ztunnel.state.StateHolder;
import dev.ambient.ztunnel.testing.TestAddresses;
import dev.ambient.ztunnel.xds.WdsClient;
import dev.ambient.ztunnel.xds.WdsClientConfig;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class ControllerCommandTest {
  private static final String MESH =
      """
      workloads:
      - {name: sleep, namespace: default, serviceAccount: sleep, node: node-a, addresses: [127.202.0.1]}
      """;

  @TempDir Path dir;

  @Test
  void serveRunsTheCaAndWorkloadDiscoveryOnOnePortAndPlaintextWhenAsked() throws Exception {
    Path state = dir.resolve("ca");
    Path config = Files.writeString(dir.resolve("mesh.yaml"), MESH);
    String ip = TestAddresses.next().getHostAddress();
    StringWriter out = new StringWriter();
    CommandLine cl = new CommandLine(new MeshCommand());
    cl.setOut(new PrintWriter(out, true));
    AtomicReference<Integer> exit = new AtomicReference<>();
    Thread serving =
        new Thread(
            () ->
                exit.set(
                    cl.execute(
                        "controller",
                        "serve",
                        "--state-dir",
                        state.toString(),
                        "--config",
                        config.toString(),
                        "--listen-ip",
                        ip,
                        "--xds-port",
                        "0",
                        "--plaintext",
                        "--plaintext-port",
                        "0")));
    serving.start();
    Pattern tls = Pattern.compile("controller listening on [0-9.]+:(\\d+) \\(CA \\+ WDS, TLS\\)");
    Pattern plain = Pattern.compile("controller plaintext WDS on [0-9.]+:(\\d+)");
    try {
      await().atMost(Duration.ofSeconds(60)).until(() -> plain.matcher(out.toString()).find());
      assertThat(out.toString()).contains("CA trust bundle (give this to ztunnels)");
      Path token = BootstrapTokens.issue(state, "node-a", null);
      for (Pattern p : new Pattern[] {tls, plain}) {
        Matcher m = p.matcher(out.toString());
        assertThat(m.find()).isTrue();
        StateHolder holder = new StateHolder(MeshState.EMPTY);
        try (WdsClient client =
            WdsClient.start(
                new WdsClientConfig(
                    ip,
                    Integer.parseInt(m.group(1)),
                    p == plain,
                    state.resolve("trust-bundle.pem"),
                    token,
                    "cluster.local",
                    "node-a"),
                holder,
                null)) {
          client.synced().get(30, TimeUnit.SECONDS);
          assertThat(holder.current().workloads()).hasSize(1);
        }
      }
    } finally {
      serving.interrupt();
      serving.join(30_000);
    }
    assertThat(exit.get()).isZero();
  }

  @Test
  void anInvalidConfigIsRefusedNamingTheObjectAndField() throws Exception {
    Path config =
        Files.writeString(dir.resolve("mesh.yaml"), MESH.replace("[127.202.0.1]", "[nope]"));
    StringWriter err = new StringWriter();
    CommandLine cl = new CommandLine(new MeshCommand());
    cl.setErr(new PrintWriter(err, true));
    int code =
        cl.execute(
            "controller",
            "serve",
            "--state-dir",
            dir.resolve("ca").toString(),
            "--config",
            config.toString(),
            "--listen-ip",
            TestAddresses.next().getHostAddress(),
            "--xds-port",
            "0");
    assertThat(code).isEqualTo(1);
    assertThat(err.toString())
        .contains("controller serve:")
        .contains("workloads[0] (default/sleep): field addresses[0]");
  }

  @Test
  void theMeshComesFromExactlyOneSource() throws Exception {
    Path config = Files.writeString(dir.resolve("mesh.yaml"), MESH);
    StringWriter err = new StringWriter();
    CommandLine cl = new CommandLine(new MeshCommand());
    cl.setErr(new PrintWriter(err, true));
    int both =
        cl.execute(
            "controller",
            "serve",
            "--config",
            config.toString(),
            "--kubeconfig",
            config.toString());
    assertThat(both).isNotZero();
    assertThat(err.toString()).contains("mutually exclusive");

    err.getBuffer().setLength(0);
    int badKubeconfig =
        cl.execute(
            "controller",
            "serve",
            "--state-dir",
            dir.resolve("ca").toString(),
            "--kubeconfig",
            dir.resolve("missing.kubeconfig").toString(),
            "--xds-port",
            "0");
    assertThat(badKubeconfig).isEqualTo(1);
    assertThat(err.toString()).contains("--kubeconfig").contains("missing.kubeconfig");

    err.getBuffer().setLength(0);
    int badAccount =
        cl.execute(
            "controller",
            "serve",
            "--state-dir",
            dir.resolve("ca").toString(),
            "--kubeconfig",
            config.toString(),
            "--node-accounts",
            "ztunnel",
            "--xds-port",
            "0");
    assertThat(badAccount).isEqualTo(1);
    assertThat(err.toString())
        .contains("--node-accounts: ztunnel is not <namespace>/<service account>");
  }
}
