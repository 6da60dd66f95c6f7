package dev.ambient.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ambient.lab.LabCluster;
import dev.ambient.lab.LabClusterExtension;
import java.time.Duration;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A user's waypoint, end to end on the lab cluster, exactly as {@code ./mesh demo --mode waypoint}
 * shows it: {@code mesh install}, then {@code deploy/examples/waypoint-demo.yaml} (an ambient
 * namespace using the waypoint Gateway {@code waypoint}, an HTTPRoute splitting {@code echo}
 * between two versions with a header match and a request header set, and an L7 DENY). The
 * controller provisions the waypoint (its pod makes its own identity) and reports it Programmed;
 * every request from an unmodified client pod goes ztunnel -> waypoint Envoy -> ztunnel, and the
 * demo checks each effect from the echo servers' answers.
 */
@Tag("root")
@Tag("lab")
@ExtendWith(LabClusterExtension.class)
class WaypointOnLabTest {

  @Test
  void theWaypointDemoRoutesSplitsSetsHeadersAndDenies(LabCluster lab) throws Exception {
    LabCluster.assumeMeshJarBuilt();

    var demo = lab.launcher(Duration.ofMinutes(12), "demo", "--mode", "waypoint");
    System.out.println(demo.stdout());

    demo.orThrow("mesh demo --mode waypoint");
    assertThat(demo.stdout())
        .contains("Gateway waypoint: Programmed=True")
        .contains("PASS  header match: v2 answered")
        .contains("PASS  the route's header reached the app")
        .contains("PASS  both versions served")
        .contains("PASS  /admin denied")
        .contains("403 RBAC: access denied")
        .contains("HTTPRoute echo-split parent echo: Accepted=True")
        .contains("PASS  all of the above")
        .doesNotContain("FAIL");
    // The waypoint's objects are the controller's, owned by the Gateway.
    assertThat(
            lab.k(
                "-n",
                "ambient-demo",
                "get",
                "deployment",
                "waypoint",
                "-o",
                "jsonpath={.metadata.ownerReferences[0].kind}"))
        .isEqualTo("Gateway");
  }
}
