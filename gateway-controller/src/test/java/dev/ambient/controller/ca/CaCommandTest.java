package dev.ambient.controller.ca;

import static dev.ambient.controller.ca.MeshStates.workload;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.ambient.api.model.MeshState;
import dev.ambient.api.spiffe.SpiffeId;
import dev.ambient.ztunnel.identity.CaClient;
import dev.ambient.ztunnel.identity.CaClientConfig;
import dev.ambient.ztunnel.identity.WorkloadCertificate;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class CaCommandTest {
  @TempDir Path dir;

  private record Run(int code, String out, String err) {}

  private static Run run(CaCommand command, String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cl = new CommandLine(command);
    cl.setOut(new PrintWriter(out, true));
    cl.setErr(new PrintWriter(err, true));
    int code = cl.execute(args);
    return new Run(code, out.toString(), err.toString());
  }

  @Test
  void tokenServeAndRotateRoot() throws Exception {
    Path state = dir.resolve("state");
    MeshState mesh = MeshStates.of(workload("default", "web", "node-a"));
    Run token = run(new CaCommand(), "token", "--state-dir", state.toString(), "--node", "node-a");
    assertThat(token.code()).isZero();
    String secret = Files.readString(state.resolve("tokens/node-a.token")).strip();
    assertThat(token.out()).contains("node-a").doesNotContain(secret);

    StringWriter out = new StringWriter();
    AtomicReference<Integer> exit = new AtomicReference<>();
    CommandLine cl = new CommandLine(new CaCommand(config -> () -> mesh));
    cl.setOut(new PrintWriter(out, true));
    Path config = Files.writeString(dir.resolve("mesh.yaml"), "# unused by the test's mesh view\n");
    Thread serving =
        new Thread(
            () ->
                exit.set(
                    cl.execute(
                        "serve",
                        "--state-dir",
                        state.toString(),
                        "--listen",
                        "127.0.34.1:0",
                        "--config",
                        config.toString(),
                        "--max-ttl",
                        "1h")));
    serving.start();
    Pattern listening = Pattern.compile("CA listening on 127\\.0\\.34\\.1:(\\d+)");
    await().atMost(Duration.ofSeconds(60)).until(() -> listening.matcher(out.toString()).find());
    assertThat(out.toString())
        .contains("CA root certificate: " + state.resolve("root-cert.pem").toAbsolutePath());
    Matcher m = listening.matcher(out.toString());
    assertThat(m.find()).isTrue();
    int port = Integer.parseInt(m.group(1));

    SpiffeId web = SpiffeId.of("cluster.local", "default", "web");
    try (CaClient client =
        CaClient.create(
            new CaClientConfig(
                "127.0.34.1",
                port,
                state.resolve("root-cert.pem"),
                state.resolve("tokens/node-a.token"),
                "cluster.local",
                Duration.ofHours(48),
                null))) {
      Instant before = Instant.now();
      WorkloadCertificate cert = client.fetch(web).get(30, TimeUnit.SECONDS);
      assertThat(cert.notAfter()).isBeforeOrEqualTo(Instant.now().plus(Duration.ofHours(1)));
      assertThat(cert.notAfter()).isAfter(before.plus(Duration.ofHours(1)).minusSeconds(1));

      // Rotation by another process while serving: the running CA signs with the new root.
      Run rotate =
          run(new CaCommand(), "rotate-root", "--state-dir", state.toString(), "--overlap", "2h");
      assertThat(rotate.code()).isZero();
      WorkloadCertificate after = client.fetch(web).get(30, TimeUnit.SECONDS);
      assertThat(after.trustedRoots()).hasSize(2);
      assertThat(after.chain().get(0).getIssuerX500Principal())
          .isEqualTo(after.trustedRoots().get(0).getSubjectX500Principal());
      after.leaf().verify(after.trustedRoots().get(0).getPublicKey());
    } finally {
      serving.interrupt();
      serving.join(30_000);
    }
    assertThat(exit.get()).isZero();
  }

  @Test
  void badOptionsGiveClearErrors() {
    Run r =
        run(
            new CaCommand(config -> () -> MeshState.EMPTY),
            "serve",
            "--state-dir",
            dir.resolve("s").toString(),
            "--config",
            "x.yaml",
            "--max-ttl",
            "soon");
    assertThat(r.code()).isEqualTo(1);
    assertThat(r.err()).contains("--max-ttl").contains("soon");
    Run t = run(new CaCommand(), "token", "--state-dir", dir.toString(), "--node", "Bad Node");
    assertThat(t.code()).isEqualTo(1);
    assertThat(t.err()).contains("not a DNS subdomain");
    Run rr = run(new CaCommand(), "rotate-root", "--state-dir", dir.resolve("empty").toString());
    assertThat(rr.code()).isEqualTo(1);
    assertThat(rr.err()).contains("no CA root");
  }
}
