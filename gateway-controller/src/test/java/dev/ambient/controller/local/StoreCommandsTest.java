package dev.ambient.controller.local;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ambient.controller.cli.MeshCommand;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class StoreCommandsTest {
  @TempDir Path tmp;

  record Run(int code, String out, String err) {}

  Run mesh(String... args) {
    CommandLine cl = MeshCommand.commandLine();
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    cl.setOut(new PrintWriter(out));
    cl.setErr(new PrintWriter(err));
    int code = cl.execute(args);
    return new Run(code, out.toString(), err.toString());
  }

  @Test
  void applyAndDeleteADirectoryOfManifests() throws Exception {
    Path manifests = Files.createDirectories(tmp.resolve("m"));
    Files.writeString(manifests.resolve("a-ns.yaml"), LocalStoreTest.NAMESPACE);
    Files.writeString(
        manifests.resolve("b-echo.yaml"),
        LocalStoreTest.pod("echo", "10.1.0.5", "node-a")
            + "---\n"
            + LocalStoreTest.service("echo", "10.96.0.10", null));
    Files.writeString(manifests.resolve("notes.txt"), "not a manifest");
    String store = tmp.resolve("store").toString();

    Run applied = mesh("apply", "-f", manifests.toString(), "--store", store);
    assertThat(applied.code()).as(applied.err()).isZero();
    assertThat(applied.out())
        .isEqualTo("namespace/demo created\npod/echo created\nservice/echo created\n");

    Run deleted =
        mesh("delete", "-f", manifests.resolve("b-echo.yaml").toString(), "--store", store);
    assertThat(deleted.code()).isZero();
    assertThat(deleted.out()).isEqualTo("pod/echo deleted\nservice/echo deleted\n");
  }

  @Test
  void aBadDocumentChangesNothingAndExitsNonZero() throws Exception {
    Path f = tmp.resolve("bad.yaml");
    Files.writeString(
        f,
        LocalStoreTest.NAMESPACE + "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n");
    Run r = mesh("apply", "-f", f.toString(), "--store", tmp.resolve("store").toString());
    assertThat(r.code()).isEqualTo(1);
    assertThat(r.out()).isEmpty();
    assertThat(r.err())
        .contains("document 2: kind ConfigMap is not supported")
        .contains("nothing changed");
    assertThat(tmp.resolve("store")).doesNotExist();
  }

  @Test
  void controllerServeRefusesAMalformedWaypointNode() {
    Run r =
        mesh(
            "controller",
            "serve",
            "--store",
            tmp.resolve("store").toString(),
            "--state-dir",
            tmp.resolve("ca").toString(),
            "--xds-port",
            "0",
            "--waypoint-node",
            "node-a");
    assertThat(r.code()).isEqualTo(1);
    assertThat(r.err()).contains("--waypoint-node: node-a is not NODE=NETNS");
  }
}
