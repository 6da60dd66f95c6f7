package dev.ambient.conformance;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ambient.lab.LabCluster;
import dev.ambient.lab.LabClusterExtension;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * {@code ./mesh conformance} end to end: the upstream Gateway API conformance suite (MESH-HTTP and
 * MESH-GRPC, plus the mesh tests outside any profile whose features the mesh claims) runs against
 * the mesh on the lab cluster, through ztunnels and waypoint Envoys, and every test passes. The
 * suite's own report is the evidence; its result lines are checked, not just the exit code.
 */
@Tag("root")
@Tag("lab")
@ExtendWith(LabClusterExtension.class)
class MeshConformanceOnLabTest {

  /** Every mesh test of the pinned suite that the mesh's claimed features enable. */
  private static final List<String> EXPECTED_PASSES =
      List.of(
          "MeshBasic",
          "MeshHTTPRouteSimpleSameNamespace",
          "MeshHTTPRouteMatching",
          "MeshHTTPRouteRedirectHostAndStatus",
          "MeshHTTPRouteRequestHeaderModifier",
          "MeshHTTPRouteWeight",
          "MeshTrafficSplit",
          "MeshHTTPRouteQueryParamMatching",
          "MeshHTTPRouteRedirectPath",
          "MeshHTTPRouteRedirectPort",
          "MeshHTTPRouteSchemeRedirect",
          "MeshHTTPRouteRewritePath",
          "MeshHTTPRouteBackendRequestHeaderModifier",
          "MeshHTTPRouteNamedRule",
          "MeshConsumerRoute",
          "MeshFrontend",
          "MeshFrontendHostname",
          "MeshPorts",
          "MeshHTTPRoute303Redirect",
          "MeshHTTPRoute307Redirect",
          "MeshHTTPRoute308Redirect",
          "MeshGRPCRouteWeight");

  @Test
  void theMeshPassesTheMeshHttpAndMeshGrpcProfiles(LabCluster lab) throws Exception {
    Path repo = LabCluster.findRepo();
    LabCluster.assumeMeshJarBuilt();

    // One rerun of the whole suite, and only after a failure that is printed as such: one whole
    // run in about twenty saw a waypoint answer for 90 s as if a Service had no routes right
    // after its route table was replaced (MeshHTTPRouteQueryParamMatching); not reproduced by
    // hand yet, see conformance/README.md. Two failing runs fail the test.
    AssertionError first = null;
    for (int attempt = 1; attempt <= 2; attempt++) {
      try {
        runAndCheck(lab, repo, attempt);
        if (first != null) {
          System.out.println(
              "FLAKY: the first conformance run failed, the second passed: " + first);
        }
        return;
      } catch (AssertionError e) {
        if (first != null) {
          e.addSuppressed(first);
          throw e;
        }
        first = e;
        System.out.println("conformance run 1 failed, running the suite once more: " + e);
      }
    }
  }

  private static void runAndCheck(LabCluster lab, Path repo, int attempt) throws Exception {
    Path report = repo.resolve("conformance/target/mesh-conformance-report-" + attempt + ".yaml");
    Files.deleteIfExists(report);
    var run = lab.launcher(Duration.ofMinutes(25), "conformance", "--report", report.toString());
    System.out.println(run.stdout());
    System.out.println(run.stderr());
    Path log = Path.of(report.toString().replaceFirst("\\.yaml$", ".log"));
    String suiteLog = Files.isRegularFile(log) ? Files.readString(log) : "";

    assertThat(report).as("the suite's ConformanceReport").isRegularFile();
    String yaml = Files.readString(report);
    assertThat(yaml).contains("kind: ConformanceReport");
    String http = profile(yaml, "MESH-HTTP");
    assertThat(http).contains("summary: Core tests succeeded. Extended tests succeeded.");
    assertThat(counts(http, "core")).as("MESH-HTTP core Passed/Failed").containsExactly(7, 0);
    assertThat(counts(http, "extended"))
        .as("MESH-HTTP extended Passed/Failed")
        .containsExactly(7, 0);
    String grpc = profile(yaml, "MESH-GRPC");
    assertThat(grpc).contains("summary: Core tests succeeded.");
    assertThat(counts(grpc, "core")).as("MESH-GRPC core Passed/Failed").containsExactly(2, 0);
    for (String test : EXPECTED_PASSES) {
      assertThat(suiteLog).as(test).contains("--- PASS: TestGatewayAPIConformance/" + test + " ");
    }
    assertThat(suiteLog).doesNotContain("--- FAIL");
    assertThat(run.exitCode()).as("exit status of ./mesh conformance").isZero();
  }

  /** One entry of the report's {@code profiles} list, by its name. */
  private static String profile(String yaml, String name) {
    String profiles = yaml.substring(yaml.indexOf("\nprofiles:"));
    for (String entry : profiles.split("\n- ")) {
      if (entry.contains("\n  name: " + name + "\n")) {
        return entry;
      }
    }
    throw new AssertionError("no profile " + name + " in the report:\n" + yaml);
  }

  /** Passed and Failed of a profile's core or extended statistics in the report. */
  private static List<Integer> counts(String yaml, String section) {
    Matcher m =
        Pattern.compile(
                "(?s)\\b"
                    + section
                    + ":.*?statistics:\\s*Failed: (\\d+)\\s*Passed: (\\d+)\\s*Skipped: (\\d+)")
            .matcher(yaml);
    assertThat(m.find()).as(section + " statistics in the report").isTrue();
    return List.of(Integer.parseInt(m.group(2)), Integer.parseInt(m.group(1)));
  }
}
