package dev.ambient.controller.waypoint;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.spi.ILoggingEvent;
import dev.ambient.controller.gateway.WaypointGateway;
import dev.ambient.controller.wasm.WasmModules;
import dev.ambient.controller.wasm.WasmPlan;
import dev.ambient.controller.wasm.WasmPluginTranslator;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * WasmPlugins running in a real Envoy waypoint: the compiled Java {@code authz} module (built by
 * wasm-filters into {@code wasm-filters/target/wasm/authz.wasm}; skipped with a reason when that
 * module has not been built) placed by {@link WasmPluginTranslator} and delivered inline over ADS.
 */
@Tag("envoy")
class WaypointWasmEnvoyTest extends WaypointEnvoyTestBase {
  private static final KubernetesSerialization YAML = new KubernetesSerialization();
  private static final WaypointGateway GATEWAY =
      new WaypointGateway("default", "waypoint", "uid", "istio-waypoint", Map.of(), Map.of());
  private static final String DENY_ADMIN =
      "{policies: [{name: deny-admin, namespace: default,"
          + " spec: {action: DENY, rules: [{to: [{operation: {paths: ['/admin']}}]}]}}]}";

  private Path authz;
  private String sha;
  private final WasmModules modules = new WasmModules();

  @BeforeEach
  void findModule() throws Exception {
    authz =
        Paths.get(System.getProperty("wasm.dir", "../wasm-filters/target/wasm"), "authz.wasm")
            .toAbsolutePath()
            .normalize();
    String reason =
        "skipped: "
            + authz
            + " not built (build wasm-filters first: ./mvnw -pl wasm-filters -am process-classes)";
    if (!Files.isRegularFile(authz)) {
      System.out.println(reason);
    }
    Assumptions.assumeTrue(Files.isRegularFile(authz), reason);
    sha =
        HexFormat.of()
            .formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(authz)));
  }

  private static GenericKubernetesResource plugin(String name, String spec) {
    return YAML.unmarshal(
        "apiVersion: extensions.istio.io/v1alpha1\nkind: WasmPlugin\n"
            + "metadata: {namespace: default, name: "
            + name
            + ", generation: 1}\nspec:\n"
            + spec,
        GenericKubernetesResource.class);
  }

  private WasmPlan plan(GenericKubernetesResource... plugins) {
    return WasmPluginTranslator.translate(
        List.of(plugins),
        List.of(GATEWAY),
        modules,
        "cluster.local",
        s -> s.equals("default/echo") || s.equals("default/bad"));
  }

  private WaypointModel model(WasmPlan plan) {
    return plan.forWaypoint(GATEWAY.nodeId()).applyTo(f.model());
  }

  @Test
  void theAuthzModuleDeniesOneRequestAndAllowsAnother() throws Exception {
    WasmPlan plan =
        plan(
            plugin(
                "authz",
                "  targetRefs: [{group: gateway.networking.k8s.io, kind: Gateway, name: waypoint}]\n"
                    + "  url: file://"
                    + authz
                    + "\n  sha256: "
                    + sha
                    + "\n  phase: AUTHZ\n  pluginConfig: "
                    + DENY_ADMIN
                    + "\n"));
    assertThat(plan.statuses().get("default/authz").accepted()).as("%s", plan.statuses()).isTrue();
    f.publishAndWait(f.resources(model(plan)));

    var s = f.connect(f.vip, 80);
    Http1.Response denied = Http1.get(s, "echo.default.svc.cluster.local", "/admin");
    assertThat(denied.status()).isEqualTo(403);
    assertThat(denied.body()).isEqualTo("RBAC: access denied");
    assertThat(f.backend.sawPath("/admin")).isFalse();
    assertThat(Http1.get(s, "echo.default.svc.cluster.local", "/").status()).isEqualTo(200);
    assertThat(Http1.get(f.connect(f.badVip, 80), "bad", "/admin").status())
        .as("a Gateway target is all the waypoint's traffic")
        .isEqualTo(403);
  }

  @Test
  void aServiceTargetRunsOnlyForThatService() throws Exception {
    WasmPlan plan =
        plan(
            plugin(
                "authz",
                "  targetRefs: [{kind: Service, group: '', name: echo}]\n  url: "
                    + authz
                    + "\n  pluginConfig: "
                    + DENY_ADMIN
                    + "\n"));
    f.publishAndWait(f.resources(model(plan)));

    assertThat(Http1.get(f.connect(f.vip, 80), "echo", "/admin").status()).isEqualTo(403);
    assertThat(Http1.get(f.connect(f.badVip, 80), "bad", "/admin").status()).isEqualTo(200);
  }

  @Test
  void aSha256MismatchLeavesTheRoutesServing() throws Exception {
    String wrong = "0".repeat(64);
    WasmPlan plan =
        plan(
            plugin(
                "open",
                "  targetRefs: [{kind: Service, name: echo}]\n  url: "
                    + authz
                    + "\n  sha256: "
                    + wrong
                    + "\n  failStrategy: FAIL_OPEN\n"),
            plugin(
                "closed",
                "  targetRefs: [{kind: Service, name: bad}]\n  url: "
                    + authz
                    + "\n  sha256: "
                    + wrong
                    + "\n"));
    assertThat(plan.statuses().get("default/open").reason()).isEqualTo("Sha256Mismatch");
    assertThat(plan.statuses().get("default/closed").reason()).isEqualTo("Sha256Mismatch");
    f.publishAndWait(f.resources(model(plan)));

    assertThat(Http1.get(f.connect(f.vip, 80), "echo", "/admin").status())
        .as("FAIL_OPEN: left out, the route serves")
        .isEqualTo(200);
    assertThat(Http1.get(f.connect(f.badVip, 80), "bad", "/").status())
        .as("FAIL_CLOSE: its target answers 503")
        .isEqualTo(503);
  }

  @Test
  void aConfigurationTheModuleRejectsIsANackAttributedToThePlugin() throws Exception {
    String good = f.publishAndWait(f.resources(f.model()));
    WasmPlan plan =
        plan(
            plugin(
                "broken",
                "  targetRefs: [{kind: Service, name: echo}]\n  url: "
                    + authz
                    + "\n  pluginConfig: {policies: [{name: x, namespace: default,"
                    + " spec: {action: CUSTOM}}]}\n"));
    String bad = f.xds.publish(f.node, f.resources(model(plan)));

    WaypointFixture.await(
        () -> f.logs.list.stream().anyMatch(e -> e.getFormattedMessage().contains("WasmPlugin")),
        "the NACK to be attributed");
    ILoggingEvent attributed =
        f.logs.list.stream()
            .filter(e -> e.getFormattedMessage().contains("caused by WasmPlugin"))
            .findFirst()
            .orElseThrow();
    assertThat(attributed.getFormattedMessage()).contains("default.broken");
    WaypointFixture.await(
        () ->
            !bad.equals(f.xds.currentVersion(f.node))
                && f.xds.currentVersion(f.node).equals(f.xds.acceptedVersion(f.node)),
        "the last good configuration to be served again");
    assertThat(good).isNotEqualTo(bad);
    assertThat(Http1.get(f.connect(f.vip, 80), "echo", "/admin").status()).isEqualTo(200);
  }

  @Test
  void aPluginEnvoyRefusesIsHandledAsFailedAndTheNextConfigurationIsAccepted() throws Exception {
    // What the fleet does with the NACK: the plugin, as Envoy names it, becomes a rejection that
    // the next translation honours (FAIL_OPEN here: left out).
    java.util.Map<String, dev.ambient.controller.wasm.EnvoyRejection> rejected =
        new java.util.concurrent.ConcurrentHashMap<>();
    f.xds.onPluginRejected(
        (plugin, message) ->
            rejected.put(
                plugin.replaceFirst("\\.", "/"),
                new dev.ambient.controller.wasm.EnvoyRejection(1L, sha, message)));
    f.publishAndWait(f.resources(f.model()));
    GenericKubernetesResource broken =
        plugin(
            "broken",
            "  targetRefs: [{kind: Service, name: echo}]\n  url: "
                + authz
                + "\n  failStrategy: FAIL_OPEN\n  pluginConfig: {policies: [{name: x, namespace:"
                + " default, spec: {action: CUSTOM}}]}\n");
    f.xds.publish(f.node, f.resources(model(plan(broken))));
    WaypointFixture.await(() -> rejected.containsKey("default/broken"), "the rejection");

    WasmPlan next =
        WasmPluginTranslator.translate(
            List.of(broken),
            List.of(GATEWAY),
            modules,
            "cluster.local",
            s -> s.equals("default/echo") || s.equals("default/bad"),
            rejected);
    assertThat(next.statuses().get("default/broken").reason()).isEqualTo("RejectedByEnvoy");
    f.publishAndWait(f.resources(model(next)));
    assertThat(Http1.get(f.connect(f.vip, 80), "echo", "/admin").status()).isEqualTo(200);
  }

  @Test
  void aModuleThatTrapsAtStartIsANackAttributedToThePlugin() throws Exception {
    Path trap = Files.write(tmp.resolve("trap.wasm"), trapAtStart());
    f.publishAndWait(f.resources(f.model()));
    WasmPlan plan =
        plan(plugin("trap", "  targetRefs: [{kind: Service, name: echo}]\n  url: " + trap + "\n"));
    assertThat(plan.statuses().get("default/trap").accepted())
        .as("the controller's checks pass: only Envoy finds the trap")
        .isTrue();
    String bad = f.xds.publish(f.node, f.resources(model(plan)));

    WaypointFixture.await(
        () ->
            f.logs.list.stream()
                .anyMatch(
                    e -> e.getFormattedMessage().contains("caused by WasmPlugin default.trap")),
        "the NACK to be attributed to the plugin");
    WaypointFixture.await(
        () ->
            !bad.equals(f.xds.currentVersion(f.node))
                && f.xds.currentVersion(f.node).equals(f.xds.acceptedVersion(f.node)),
        "the last good configuration to be served again");
    assertThat(Http1.get(f.connect(f.vip, 80), "echo", "/").status()).isEqualTo(200);
  }

  /**
   * A module with the proxy-wasm exports (right signatures, so it passes Envoy's load checks) whose
   * {@code _initialize} executes {@code unreachable}.
   */
  private static byte[] trapAtStart() {
    java.io.ByteArrayOutputStream m = new java.io.ByteArrayOutputStream();
    m.writeBytes(new byte[] {0, 'a', 's', 'm', 1, 0, 0, 0});
    // Types: 0 ()->(), 1 (i32)->i32, 2 (i32,i32)->(), 3 (i32,i32)->i32.
    section(
        m,
        1,
        new byte[] {
          4, 0x60, 0, 0, 0x60, 1, 0x7f, 1, 0x7f, 0x60, 2, 0x7f, 0x7f, 0, 0x60, 2, 0x7f, 0x7f, 1,
          0x7f
        });
    section(m, 3, new byte[] {4, 0, 1, 2, 3});
    section(m, 5, new byte[] {1, 0, 1});
    java.io.ByteArrayOutputStream exports = new java.io.ByteArrayOutputStream();
    String[][] names = {
      {"_initialize", "0"},
      {"proxy_abi_version_0_2_1", "0"},
      {"proxy_on_memory_allocate", "1"},
      {"proxy_on_context_create", "2"},
      {"proxy_on_vm_start", "3"},
      {"proxy_on_configure", "3"}
    };
    exports.write(names.length + 1);
    for (String[] e : names) {
      exports.write(e[0].length());
      exports.writeBytes(e[0].getBytes(java.nio.charset.StandardCharsets.US_ASCII));
      exports.write(0);
      exports.write(Integer.parseInt(e[1]));
    }
    exports.write(6);
    exports.writeBytes("memory".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
    exports.write(2);
    exports.write(0);
    section(m, 7, exports.toByteArray());
    // Bodies: unreachable; i32.const 0; nothing; i32.const 1.
    section(
        m,
        10,
        new byte[] {4, 3, 0, 0x00, 0x0b, 4, 0, 0x41, 0, 0x0b, 2, 0, 0x0b, 4, 0, 0x41, 1, 0x0b});
    return m.toByteArray();
  }

  private static void section(java.io.ByteArrayOutputStream m, int id, byte[] content) {
    m.write(id);
    int n = content.length; // LEB128
    do {
      int b = n & 0x7f;
      n >>>= 7;
      m.write(n == 0 ? b : b | 0x80);
    } while (n != 0);
    m.writeBytes(content);
  }
}
