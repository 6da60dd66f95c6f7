package dev.ambient.bench.waypoint;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RigOptionsTest {
  @TempDir Path dir;
  private Path mesh;
  private Path route;
  private Path envoy;

  @BeforeEach
  void files() throws Exception {
    mesh =
        Files.writeString(
            dir.resolve("mesh.yaml"),
            """
            trustDomain: cluster.local
            workloads:
            - {name: server, namespace: default, node: node-b, addresses: [10.71.2.2]}
            """);
    route =
        Files.writeString(
            dir.resolve("route.yaml"),
            """
            apiVersion: gateway.networking.k8s.io/v1
            kind: HTTPRoute
            metadata: {name: r, namespace: default}
            spec: {}
            """);
    envoy = Files.writeString(dir.resolve("envoy"), "");
  }

  private List<String> args() {
    return new ArrayList<>(
        List.of(
            "--mesh", mesh.toString(),
            "--route", route.toString(),
            "--ca-state", dir.toString(),
            "--waypoint", "default/waypoint",
            "--envoy", envoy.toString(),
            "--work-dir", dir.resolve("work").toString(),
            "--ready-file", dir.resolve("ready").toString()));
  }

  private static RigOptions parse(List<String> args) {
    return RigOptions.parse(args.toArray(new String[0]));
  }

  @Test
  void readsEveryFlag() {
    RigOptions o = parse(args());
    assertThat(o.mesh()).isEqualTo(mesh);
    assertThat(o.route()).isEqualTo(route);
    assertThat(o.caState()).isEqualTo(dir);
    assertThat(o.waypoint()).isEqualTo("default/waypoint");
    assertThat(o.envoy()).isEqualTo(envoy);
    assertThat(o.workDir()).isEqualTo(dir.resolve("work"));
    assertThat(o.readyFile()).isEqualTo(dir.resolve("ready"));
  }

  @Test
  void namesTheFlagThatIsWrong() {
    List<String> missing = args();
    missing.subList(0, 2).clear();
    assertThatThrownBy(() -> parse(missing)).hasMessage("--mesh: missing");

    List<String> unknown = args();
    unknown.add("--fast");
    assertThatThrownBy(() -> parse(unknown)).hasMessage("unknown argument '--fast'");

    List<String> noValue = args();
    noValue.add("--envoy");
    assertThatThrownBy(() -> parse(noValue)).hasMessage("--envoy: needs a value");

    List<String> twice = args();
    twice.addAll(List.of("--route", route.toString()));
    assertThatThrownBy(() -> parse(twice)).hasMessage("--route: given twice");

    List<String> badName = args();
    badName.set(badName.indexOf("default/waypoint"), "waypoint");
    assertThatThrownBy(() -> parse(badName))
        .hasMessage("--waypoint: 'waypoint' is not <namespace>/<name>");

    List<String> noFile = args();
    noFile.set(noFile.indexOf(mesh.toString()), dir.resolve("nope.yaml").toString());
    assertThatThrownBy(() -> parse(noFile))
        .hasMessage("--mesh: " + dir.resolve("nope.yaml") + " does not exist");
  }
}
