package dev.ambient.ztunnel.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The in-pod options of {@code mesh ztunnel}. */
class ZtunnelCommandTest {
  static final String[] REQUIRED = {
    "--config", "mesh.yaml", "--node", "node-a", "--ca-root", "root.pem", "--ca-token-file", "t"
  };

  @Test
  void inPodSocketIsOffByDefault() {
    ZtunnelCommand cmd = new ZtunnelCommand();
    new CommandLine(cmd).parseArgs(REQUIRED);
    assertThat(cmd.inpodSocket).isNull();
    assertThat(cmd.podDrainTimeout).isEqualTo("5s");
  }

  @Test
  void inPodSocketAndDrainAreParsed() {
    ZtunnelCommand cmd = new ZtunnelCommand();
    String[] args = new String[REQUIRED.length + 4];
    System.arraycopy(REQUIRED, 0, args, 0, REQUIRED.length);
    args[REQUIRED.length] = "--inpod-socket";
    args[REQUIRED.length + 1] = "/run/ztunnel/ztunnel.sock";
    args[REQUIRED.length + 2] = "--pod-drain-timeout";
    args[REQUIRED.length + 3] = "2s";
    new CommandLine(cmd).parseArgs(args);
    assertThat(cmd.inpodSocket).isEqualTo(Path.of("/run/ztunnel/ztunnel.sock"));
    assertThat(cmd.podDrainTimeout).isEqualTo("2s");
  }

  @Test
  void xdsAddressReplacesConfigAndExactlyOneIsRequired() {
    ZtunnelCommand cmd = new ZtunnelCommand();
    new CommandLine(cmd)
        .parseArgs(
            "--xds-address",
            "127.0.0.1:15010",
            "--xds-plaintext",
            "--node",
            "node-a",
            "--ca-root",
            "root.pem",
            "--ca-token-file",
            "t");
    assertThat(cmd.config).isNull();
    assertThat(cmd.xdsAddress).isEqualTo("127.0.0.1:15010");
    assertThat(cmd.xdsPlaintext).isTrue();

    assertThat(run("--node", "node-a", "--ca-root", "r", "--ca-token-file", "t"))
        .contains("exactly one of --config and --xds-address");
    assertThat(
            run(
                "--config",
                "m.yaml",
                "--xds-address",
                "127.0.0.1:15012",
                "--node",
                "node-a",
                "--ca-root",
                "r",
                "--ca-token-file",
                "t"))
        .contains("exactly one of --config and --xds-address");
    assertThat(
            run(
                "--config",
                "m.yaml",
                "--xds-plaintext",
                "--node",
                "node-a",
                "--ca-root",
                "r",
                "--ca-token-file",
                "t"))
        .contains("--xds-plaintext needs --xds-address");
  }

  private static String run(String... args) {
    StringWriter err = new StringWriter();
    CommandLine cl = new CommandLine(new ZtunnelCommand());
    cl.setErr(new PrintWriter(err, true));
    assertThat(cl.execute(args)).isNotZero();
    return err.toString();
  }
}
