package dev.ambient.bench.waypoint;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The rig refuses bad input before it starts anything (no ADS port, no Envoy, no ready file), and
 * says which flag and what is wrong. Starting Envoy is what the suite itself exercises.
 */
class WaypointBenchRigTest {
  private static final String MESH =
      """
      trustDomain: cluster.local
      workloads:
      - {name: server, namespace: default, node: node-b, addresses: [10.71.2.2]}
      - {name: waypoint, namespace: default, node: node-c, addresses: [10.71.3.2]}
      services:
      - name: echo
        namespace: default
        vips: [10.96.0.10]
        ports: [{port: 80, targetPort: 8080}]
        endpoints: [Kubernetes//Pod/default/server]
        waypoint: {address: 10.71.3.2}
      """;
  private static final String ROUTE =
      """
      apiVersion: gateway.networking.k8s.io/v1
      kind: HTTPRoute
      metadata: {name: r, namespace: default}
      spec:
        parentRefs: [{group: "", kind: Service, name: echo, port: 80}]
        rules:
        - backendRefs: [{name: %s, port: 80}]
      """;

  @TempDir Path dir;
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();
  private PrintStream savedErr;

  @BeforeEach
  void captureStderr() {
    savedErr = System.err;
    System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
  }

  @AfterEach
  void restoreStderr() {
    System.setErr(savedErr);
  }

  private int run(String mesh, String route, String waypoint) throws Exception {
    Files.writeString(dir.resolve("mesh.yaml"), mesh);
    Files.writeString(dir.resolve("route.yaml"), route);
    Files.createDirectories(dir.resolve("ca"));
    Files.writeString(dir.resolve("envoy"), "");
    RigOptions o =
        RigOptions.parse(
            new String[] {
              "--mesh", dir.resolve("mesh.yaml").toString(),
              "--route", dir.resolve("route.yaml").toString(),
              "--ca-state", dir.resolve("ca").toString(),
              "--waypoint", waypoint,
              "--envoy", dir.resolve("envoy").toString(),
              "--work-dir", dir.resolve("work").toString(),
              "--ready-file", dir.resolve("ready").toString()
            });
    int exit = WaypointBenchRig.run(o);
    assertThat(dir.resolve("work")).doesNotExist();
    assertThat(dir.resolve("ready")).doesNotExist();
    return exit;
  }

  private String stderr() {
    return err.toString(StandardCharsets.UTF_8);
  }

  @Test
  void anInvalidMeshIsNamed() throws Exception {
    assertThat(run("workloads: [{name: x}]", ROUTE.formatted("echo"), "default/waypoint"))
        .isEqualTo(2);
    assertThat(stderr()).contains("--mesh " + dir.resolve("mesh.yaml") + ": ");
  }

  @Test
  void aWaypointMissingFromTheMeshIsNamed() throws Exception {
    assertThat(run(MESH, ROUTE.formatted("echo"), "default/other")).isEqualTo(2);
    assertThat(stderr())
        .contains("--waypoint default/other: no workload Kubernetes//Pod/default/other");
  }

  @Test
  void aRouteThatIsNotAnHttpRouteIsNamed() throws Exception {
    assertThat(run(MESH, "- just\n- a list\n", "default/waypoint")).isEqualTo(2);
    assertThat(stderr()).contains("--route " + dir.resolve("route.yaml") + ": not an HTTPRoute");
  }

  @Test
  void aRouteWithProblemsIsRefusedWithThem() throws Exception {
    assertThat(run(MESH, ROUTE.formatted("nowhere"), "default/waypoint")).isEqualTo(2);
    assertThat(stderr())
        .contains("--route " + dir.resolve("route.yaml") + ": [")
        .contains("nowhere");
  }

  @Test
  void aCaStateWithoutARootIsRefusedRatherThanGivenANewOne() throws Exception {
    assertThat(run(MESH, ROUTE.formatted("echo"), "default/waypoint")).isEqualTo(2);
    assertThat(stderr()).contains("--ca-state " + dir.resolve("ca") + ": no root-cert.pem");
    assertThat(dir.resolve("ca")).isEmptyDirectory();
  }
}
