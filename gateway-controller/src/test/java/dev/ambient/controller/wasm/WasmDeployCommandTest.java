package dev.ambient.controller.wasm;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ambient.controller.cli.MeshCommand;
import dev.ambient.controller.gateway.WaypointGateway;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class WasmDeployCommandTest {
  @TempDir Path tmp;

  private int run(StringWriter out, StringWriter err, String... args) {
    CommandLine cl = MeshCommand.commandLine();
    cl.setOut(new PrintWriter(out, true));
    cl.setErr(new PrintWriter(err, true));
    return cl.execute(args);
  }

  @Test
  void writesAManifestTheControllerAccepts() throws Exception {
    Path module = Files.write(tmp.resolve("hello.wasm"), TestModules.good());
    Path manifest = tmp.resolve("hello.yaml");
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();

    int code =
        run(
            out,
            err,
            "wasm",
            "deploy",
            "hello",
            "--module",
            module.toString(),
            "--namespace",
            "shop",
            "--gateway",
            "waypoint",
            "--phase",
            "authz",
            "--priority",
            "7",
            "--config",
            "{\"policies\": []}",
            "--out",
            manifest.toString());

    assertThat(code).as(err.toString()).isZero();
    assertThat(out.toString()).contains("WasmPlugin shop/hello").contains("sha256 ");
    GenericKubernetesResource p =
        new KubernetesSerialization()
            .unmarshal(Files.readString(manifest), GenericKubernetesResource.class);
    assertThat(p.getKind()).isEqualTo("WasmPlugin");
    WasmPlan plan =
        WasmPluginTranslator.translate(
            List.of(p),
            List.of(
                new WaypointGateway("shop", "waypoint", "u", "istio-waypoint", Map.of(), Map.of())),
            new WasmModules(),
            "cluster.local",
            s -> false);
    PluginStatus status = plan.statuses().get("shop/hello");
    assertThat(status.accepted()).as("%s", status).isTrue();
    WasmFilter f = plan.forWaypoint("shop/waypoint").forService("x").get(0);
    assertThat(f.phase()).isEqualTo(WasmPhase.AUTHZ);
    assertThat(f.priority()).isEqualTo(7);
    assertThat(f.configuration()).isEqualTo("{\"policies\":[]}");
    assertThat(f.failOpen()).isFalse();
  }

  @Test
  void refusesABadModuleOrNoTarget() throws Exception {
    Path junk = Files.writeString(tmp.resolve("junk.wasm"), "nope");
    StringWriter err = new StringWriter();
    assertThat(
            run(
                new StringWriter(),
                err,
                "wasm",
                "deploy",
                "x",
                "--module",
                junk.toString(),
                "--service",
                "echo",
                "--out",
                tmp.resolve("x.yaml").toString()))
        .isEqualTo(2);
    assertThat(err.toString()).contains("--module").contains("InvalidModule");
    Path good = Files.write(tmp.resolve("good.wasm"), TestModules.good());
    err = new StringWriter();
    assertThat(run(new StringWriter(), err, "wasm", "deploy", "x", "--module", good.toString()))
        .isEqualTo(2);
    assertThat(err.toString()).contains("--gateway");
    assertThat(tmp.resolve("x.yaml")).doesNotExist();
  }
}
