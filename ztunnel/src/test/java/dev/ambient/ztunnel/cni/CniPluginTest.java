package dev.ambient.ztunnel.cni;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ambient.netlab.NetLab;
import dev.ambient.netlab.Node;
import dev.ambient.netlab.Pod;
import dev.ambient.ztunnel.inpod.protocol.CniMessage;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The CNI step against real pod namespaces and iptables, talking to {@link FakeZtunnel}: a stand-in
 * for ztunnel's side of the socket (ztunnel's in-pod mode is built separately), which decodes with
 * the real codec and answers acks, refusals, garbage or nothing as each test needs.
 */
@Tag("root")
class CniPluginTest {
  private static final String UID = "Kubernetes//Pod/default/client";
  private static NetLab lab;
  private static Node node;

  @TempDir Path dir;
  private Pod client;
  private Pod legacy;
  private Path config;
  private FakeZtunnel ztunnel;
  private CniPlugin cni;
  private List<String> originalRules;

  @BeforeAll
  static void createLab() throws IOException {
    var reason = NetLab.unavailableReason();
    reason.ifPresent(System.out::println);
    Assumptions.assumeTrue(reason.isEmpty(), reason.orElse(""));
    NetLab.cleanupLeftovers(NetLab.RANDOM_PREFIX_PATTERN);
    lab = NetLab.create();
    node = lab.node("a", "10.71.1.0/24");
  }

  @AfterAll
  static void closeLab() {
    if (lab != null) {
      lab.close();
    }
  }

  @BeforeEach
  void setUp() throws IOException {
    for (Pod p : lab.pods()) {
      lab.deletePod(p);
    }
    client = lab.pod(node, "client");
    legacy = lab.pod(node, "legacy");
    config = dir.resolve("mesh.yaml");
    Files.writeString(
        config,
        String.join(
            "\n",
            "workloads:",
            "- {name: client, namespace: default, serviceAccount: sleep, node: node-a, addresses: ["
                + client.ip().getHostAddress()
                + "]}",
            "- {name: legacy, namespace: default, node: node-a, protocol: TCP, addresses: ["
                + legacy.ip().getHostAddress()
                + "]}",
            "- {name: far, namespace: default, node: node-b, addresses: [10.71.2.2]}",
            ""));
    ztunnel = new FakeZtunnel(dir.resolve("ztunnel.sock"));
    cni = new CniPlugin(ztunnel.socket, dir.resolve("state"), Duration.ofSeconds(10));
    originalRules = rulesOf(client);
  }

  @AfterEach
  void tearDown() throws IOException {
    ztunnel.close();
  }

  @Test
  void addInstallsRulesRecordsThePodAndHandsItToZtunnel() throws Exception {
    CniPlugin.Outcome out = cni.add(client.netnsPath(), "default/client", config, "node-a");

    assertThat(out.exitCode()).as(out.toString()).isZero();
    assertThat(out.lines()).singleElement().asString().contains("captured");
    assertThat(new InPodRules(client.netnsPath()).installed()).isTrue();
    assertThat(ztunnel.received)
        .containsExactly(
            new CniMessage.AddPod(
                UID,
                "default",
                "client",
                "sleep",
                client.netnsPath().toString(),
                List.of(client.ip().getHostAddress())));
    Path record = cni.store().file(UID);
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(record)))
        .isEqualTo("rw-------");
    assertThat(cni.store().find("default", "client")).isPresent();

    // Again: same rules, one record, ztunnel told again.
    List<String> installed = rulesOf(client);
    assertThat(cni.add(client.netnsPath(), "default/client", config, "node-a").ok()).isTrue();
    assertThat(rulesOf(client)).isEqualTo(installed);
    assertThat(cni.store().all()).hasSize(1);
    assertThat(ztunnel.received).hasSize(2);
  }

  @Test
  void podsOutsideTheMeshAreLeftAlone() throws Exception {
    List<String> legacyRules = rulesOf(legacy);
    CniPlugin.Outcome tcp = cni.add(legacy.netnsPath(), "default/legacy", config, "node-a");
    CniPlugin.Outcome absent = cni.add(client.netnsPath(), "default/nobody", config, "node-a");

    assertThat(tcp.exitCode()).isZero();
    assertThat(tcp.lines()).singleElement().asString().contains("not ambient: protocol TCP");
    assertThat(absent.exitCode()).isZero();
    assertThat(absent.lines()).singleElement().asString().contains("not ambient: not in the mesh");
    assertThat(rulesOf(legacy)).isEqualTo(legacyRules);
    assertThat(rulesOf(client)).isEqualTo(originalRules);
    assertThat(ztunnel.received).isEmpty();
    assertThat(cni.store().all()).isEmpty();
  }

  @Test
  void refusalRollsBackRulesAndRecord() throws Exception {
    ztunnel.answer = m -> FakeZtunnel.refuse("cannot enter netns");
    CniPlugin.Outcome out = cni.add(client.netnsPath(), "default/client", config, "node-a");

    assertThat(out.exitCode()).isEqualTo(CniPlugin.FAILED);
    assertThat(out.lines())
        .singleElement()
        .asString()
        .contains("ztunnel refused the pod: cannot enter netns")
        .contains("rules removed, pod not captured");
    assertNothingLeft();
  }

  @Test
  void unreachableSilentOrGarbledZtunnelRollsBack() throws Exception {
    ztunnel.answer = m -> "garbage";
    CniPlugin.Outcome garbled = cni.add(client.netnsPath(), "default/client", config, "node-a");
    assertThat(garbled.exitCode()).isEqualTo(CniPlugin.FAILED);
    assertThat(garbled.lines().get(0)).contains("not an acknowledgement");
    assertNothingLeft();

    ztunnel.answer = m -> null;
    CniPlugin quick = new CniPlugin(ztunnel.socket, dir.resolve("state"), Duration.ofMillis(300));
    CniPlugin.Outcome silent = quick.add(client.netnsPath(), "default/client", config, "node-a");
    assertThat(silent.exitCode()).isEqualTo(CniPlugin.FAILED);
    assertThat(silent.lines().get(0)).contains("did not answer within 300 ms");
    assertNothingLeft();

    ztunnel.close();
    CniPlugin.Outcome absent = cni.add(client.netnsPath(), "default/client", config, "node-a");
    assertThat(absent.exitCode()).isEqualTo(CniPlugin.FAILED);
    assertThat(absent.lines().get(0)).contains("does not exist").contains("rules removed");
    assertNothingLeft();
  }

  @Test
  void badInputChangesNothing() throws Exception {
    Path dead = client.netnsPath().resolveSibling(lab.prefix() + "-a-gone");
    assertBadInput(
        cni.add(dead, "default/client", config, "node-a"), "is not a live network namespace");
    assertBadInput(cni.add(client.netnsPath(), "client", config, "node-a"), "--pod must be");
    Path notANetns = Files.writeString(dir.resolve("plain-file"), "x");
    assertBadInput(
        cni.add(notANetns, "default/client", config, "node-a"), "is not a live network namespace");
    // The legacy pod's namespace does not hold client's address: it must not get client's identity.
    assertBadInput(
        cni.add(legacy.netnsPath(), "default/client", config, "node-a"),
        "holds none of the workload's addresses");
    assertThat(rulesOf(legacy)).doesNotContain("nat -A OUTPUT -j AMBIENT_OUTPUT");
    assertBadInput(
        cni.add(client.netnsPath(), "default/far", config, "node-a"), "puts it on node node-b");
    Files.writeString(dir.resolve("bad.yaml"), "workloads:\n- {name: client}\n");
    assertBadInput(
        cni.add(client.netnsPath(), "default/client", dir.resolve("bad.yaml"), "node-a"),
        "is invalid");
    assertBadInput(
        cni.add(client.netnsPath(), "default/client", dir.resolve("missing.yaml"), "node-a"),
        "cannot read mesh config");
    assertThat(ztunnel.received).isEmpty();
    assertNothingLeft();
  }

  @Test
  void delTellsZtunnelRemovesRulesAndForgetsThePod() throws Exception {
    assertThat(cni.add(client.netnsPath(), "default/client", config, "node-a").ok()).isTrue();
    CniPlugin.Outcome out = cni.del("default/client", null);

    assertThat(out.exitCode()).as(out.toString()).isZero();
    assertThat(ztunnel.received.get(1)).isEqualTo(new CniMessage.DelPod(UID));
    assertNothingLeft();

    CniPlugin.Outcome again = cni.del("default/client", null);
    assertThat(again.exitCode()).isEqualTo(CniPlugin.UNKNOWN_POD);
    assertThat(again.lines().get(0)).contains("unknown pod");
  }

  @Test
  void delWithoutZtunnelOnlyWarnsAndStillCleansUp() throws Exception {
    assertThat(cni.add(client.netnsPath(), "default/client", config, "node-a").ok()).isTrue();
    ztunnel.close();
    CniPlugin.Outcome out = cni.del("default/client", null);

    assertThat(out.exitCode()).as(out.toString()).isZero();
    assertThat(out.lines().get(0)).contains("warning").contains("does not exist");
    assertNothingLeft();
  }

  @Test
  void delAfterThePodNamespaceVanished() throws Exception {
    assertThat(cni.add(client.netnsPath(), "default/client", config, "node-a").ok()).isTrue();
    lab.deletePod(client);
    CniPlugin.Outcome out = cni.del("default/client", null);

    assertThat(out.exitCode()).as(out.toString()).isZero();
    assertThat(String.join("\n", out.lines())).contains("is gone");
    assertThat(cni.store().all()).isEmpty();
  }

  @Test
  void resyncReplaysLivePodsThenTheSnapshotAndDropsVanishedOnes() throws Exception {
    Pod other = lab.pod(node, "other");
    Files.writeString(
        config,
        Files.readString(config)
            + "- {name: other, namespace: default, node: node-a, addresses: ["
            + other.ip().getHostAddress()
            + "]}\n");
    assertThat(cni.add(client.netnsPath(), "default/client", config, "node-a").ok()).isTrue();
    assertThat(cni.add(other.netnsPath(), "default/other", config, "node-a").ok()).isTrue();

    // ztunnel restarts: a new process on the same socket path, knowing nothing.
    ztunnel.close();
    ztunnel = new FakeZtunnel(dir.resolve("ztunnel.sock"));
    CniPlugin.Outcome out = cni.resync();
    assertThat(out.exitCode()).as(out.toString()).isZero();
    assertThat(ztunnel.received).hasSize(3).last().isEqualTo(new CniMessage.SnapshotSent());
    assertThat(ztunnel.received.subList(0, 2))
        .extracting(m -> ((CniMessage.AddPod) m).name())
        .containsExactlyInAnyOrder("client", "other");

    lab.deletePod(other);
    ztunnel.received.clear();
    out = cni.resync();
    assertThat(out.exitCode()).as(out.toString()).isZero();
    assertThat(String.join("\n", out.lines()))
        .contains("default/other: netns")
        .contains("record dropped");
    assertThat(ztunnel.received)
        .extracting(m -> m.getClass().getSimpleName())
        .containsExactly("AddPod", "SnapshotSent");

    ztunnel.close();
    assertThat(cni.resync().exitCode()).isEqualTo(CniPlugin.FAILED);
  }

  @Test
  void commandLineExitCodes() throws Exception {
    StringWriter text = new StringWriter();
    CommandLine cli = new CommandLine(new CniCommand());
    cli.setOut(new PrintWriter(text, true));
    cli.setErr(new PrintWriter(text, true));
    String[] common = {
      "--socket", ztunnel.socket.toString(), "--state-dir", dir.resolve("state").toString()
    };

    int add =
        cli.execute(
            concat(
                new String[] {
                  "add",
                  "--netns",
                  client.netnsPath().toString(),
                  "--pod",
                  "default/client",
                  "--config",
                  config.toString(),
                  "--node",
                  "node-a"
                },
                common));
    assertThat(add).as(text.toString()).isZero();
    assertThat(text.toString()).contains("captured");
    assertThat(cli.execute(concat(new String[] {"resync"}, common))).isZero();
    assertThat(cli.execute(concat(new String[] {"del", "--pod", "default/client"}, common)))
        .isZero();
    assertThat(cli.execute(concat(new String[] {"del", "--pod", "default/client"}, common)))
        .isEqualTo(CniPlugin.UNKNOWN_POD);
    assertThat(cli.execute(concat(new String[] {"resync", "--timeout", "soon"}, common)))
        .isEqualTo(2);
    assertNothingLeft();
  }

  private void assertBadInput(CniPlugin.Outcome out, String text) {
    assertThat(out.exitCode()).as(out.toString()).isEqualTo(CniPlugin.BAD_INPUT);
    assertThat(out.lines()).singleElement().asString().contains(text);
  }

  private void assertNothingLeft() throws IOException {
    assertThat(rulesOf(client)).isEqualTo(originalRules);
    assertThat(cni.store().all()).isEmpty();
  }

  private static List<String> rulesOf(Pod pod) throws IOException {
    return InPodRules.ruleLines(new InPodRules(pod.netnsPath()).save());
  }

  private static String[] concat(String[] a, String[] b) {
    String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }
}
