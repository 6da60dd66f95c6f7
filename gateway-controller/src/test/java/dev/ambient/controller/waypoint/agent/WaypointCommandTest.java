package dev.ambient.controller.waypoint.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The flags the controller renders into a waypoint Deployment, and precise errors for bad ones. */
class WaypointCommandTest {
  private static final Map<String, String> ENV =
      Map.of("POD_NAMESPACE", "shop", "POD_NAME", "waypoint-5f-x2", "SERVICE_ACCOUNT", "waypoint");

  private static WaypointCommand.Run parse(String... args) {
    WaypointCommand.Run run = new WaypointCommand.Run();
    new CommandLine(run).parseArgs(args);
    return run;
  }

  private static String[] args(String gateway, String address) {
    return new String[] {
      "--gateway", gateway,
      "--controller-address", address,
      "--ca-root", "/var/run/ambient/root/root-cert.pem",
      "--token-file", "/var/run/secrets/tokens/istio-token",
      "--envoy-binary", "/usr/local/bin/envoy",
    };
  }

  @Test
  void theDeploymentsArgumentsGiveTheGatewayNodeAndThePodIdentity() {
    AgentSettings s =
        parse(args("shop/waypoint", "ambient-controller.istio-system.svc:15012")).settings(ENV);
    assertThat(s.nodeId()).isEqualTo("shop/waypoint");
    assertThat(s.identity().uri()).isEqualTo("spiffe://cluster.local/ns/shop/sa/waypoint");
    assertThat(s.controllerHost()).isEqualTo("ambient-controller.istio-system.svc");
    assertThat(s.controllerPort()).isEqualTo(15012);
    assertThat(s.controllerIdentity().uri())
        .isEqualTo("spiffe://cluster.local/ns/istio-system/sa/istiod");
    assertThat(s.readinessListen().getPort()).isEqualTo(15021);
    assertThat(s.workDir()).isNull();
    assertThat(s.envoyBinary()).isEqualTo(Path.of("/usr/local/bin/envoy"));
    assertThat(s.podName()).isEqualTo("waypoint-5f-x2");
  }

  @Test
  void badInputIsNamed() {
    assertThatThrownBy(() -> parse(args("waypoint", "c:15012")).settings(ENV))
        .hasMessageContaining("--gateway")
        .hasMessageContaining("<namespace>/<name>");
    assertThatThrownBy(() -> parse(args("Shop/waypoint", "c:15012")).settings(ENV))
        .hasMessageContaining("--gateway namespace");
    assertThatThrownBy(() -> parse(args("shop/waypoint", "c")).settings(ENV))
        .hasMessageContaining("--controller-address");
    assertThatThrownBy(() -> parse(args("shop/waypoint", "c:99999")).settings(ENV))
        .hasMessageContaining("--controller-address")
        .hasMessageContaining("99999");
    assertThatThrownBy(() -> parse(args("other/waypoint", "c:15012")).settings(ENV))
        .hasMessageContaining("not in the pod's namespace");
    Map<String, String> noAccount = new HashMap<>(ENV);
    noAccount.remove("SERVICE_ACCOUNT");
    assertThatThrownBy(() -> parse(args("shop/waypoint", "c:15012")).settings(noAccount))
        .hasMessageContaining("SERVICE_ACCOUNT");
    Map<String, String> badAccount = new HashMap<>(ENV);
    badAccount.put("SERVICE_ACCOUNT", "Not_An_Account");
    assertThatThrownBy(() -> parse(args("shop/waypoint", "c:15012")).settings(badAccount))
        .hasMessageContaining("SERVICE_ACCOUNT");
    String[] ttl = args("shop/waypoint", "c:15012");
    String[] withTtl = java.util.Arrays.copyOf(ttl, ttl.length + 2);
    withTtl[ttl.length] = "--cert-ttl";
    withTtl[ttl.length + 1] = "soon";
    assertThatThrownBy(() -> parse(withTtl).settings(ENV)).hasMessageContaining("--cert-ttl");
  }

  @Test
  void theCommandExitsWithAMessageOnBadInput() {
    java.io.StringWriter err = new java.io.StringWriter();
    int code =
        new CommandLine(new WaypointCommand())
            .setErr(new java.io.PrintWriter(err))
            .execute("run", "--gateway", "nope", "--ca-root", "/x", "--token-file", "/y");
    assertThat(code).isNotZero();
    assertThat(err.toString()).contains("--gateway");
  }
}
