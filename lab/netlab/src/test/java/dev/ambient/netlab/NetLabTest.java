package dev.ambient.netlab;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ambient.netlab.probe.PodProbe;
import dev.ambient.netlab.testing.LabHolderMain;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** Real namespaces, bridges and veths; each test builds its own lab and checks nothing remains. */
@Tag("root")
class NetLabTest {
  private NetLab lab;

  @BeforeAll
  static void needsRoot() {
    var reason = NetLab.unavailableReason();
    reason.ifPresent(System.out::println);
    Assumptions.assumeTrue(reason.isEmpty(), reason.orElse(""));
    NetLab.cleanupLeftovers(NetLab.RANDOM_PREFIX_PATTERN);
  }

  @BeforeEach
  void createLab() throws IOException {
    lab = NetLab.create();
  }

  @AfterEach
  void closeLab() throws IOException {
    String prefix = lab.prefix();
    lab.close();
    assertGone(prefix);
  }

  @Test
  void podsOnTwoLinkedNodesReachEachOtherOverTcp() throws Exception {
    Node a = lab.node("a", "10.71.1.0/24");
    Node b = lab.node("b", "10.71.2.0/24");
    lab.link(a, b);
    Pod client = lab.pod(a, "client");
    Pod server = lab.pod(b, "server");
    Pod neighbour = lab.pod(b, "neighbour");

    assertThat(client.ip().getHostAddress()).isEqualTo("10.71.1.2");
    assertThat(server.ip().getHostAddress()).isEqualTo("10.71.2.2");
    assertThat(neighbour.ip().getHostAddress()).isEqualTo("10.71.2.3");
    assertThat(server.netnsPath()).exists();
    assertThat(lab.linkDevice(a, b)).hasSizeLessThanOrEqualTo(15).startsWith(lab.prefix());

    PodProbe.startEcho(lab, server, 7000, "server");
    // Across the node link, and on the same bridge.
    assertThat(PodProbe.exchange(client, "10.71.2.2", 7000, "hi")).isEqualTo("server hi");
    assertThat(PodProbe.exchange(neighbour, "10.71.2.2", 7000, "yo")).isEqualTo("server yo");
    // Each pod sees only its own loopback and eth0, with the address the lab reported.
    assertThat(client.exec("ip", "-4", "-o", "addr", "show", "dev", "eth0"))
        .contains("inet 10.71.1.2/24");
    // The root namespace is untouched: no route to the pod ranges there.
    assertThat(Exec.run("ip", "route", "show")).doesNotContain("10.71.1.0/24");
  }

  @Test
  void deletedPodIsGoneAndItsAddressIsReused() throws Exception {
    Node a = lab.node("a", "10.71.1.0/29");
    Pod first = lab.pod(a, "first");
    Pod second = lab.pod(a, "second");
    lab.start(first, "sleep", "300");
    lab.deletePod(first);
    assertThat(Files.exists(first.netnsPath())).isFalse();
    assertThat(NetLab.namespacesOf(lab.prefix()))
        .containsExactlyInAnyOrder(a.netns(), second.netns());
    Pod third = lab.pod(a, "third");
    assertThat(third.ip()).isEqualTo(first.ip());
  }

  @Test
  void badInputIsRefusedBeforeAnythingIsCreated() throws Exception {
    Node a = lab.node("a", "10.71.1.0/24");
    assertThatThrownBy(() -> lab.node("b", "10.71.0.0/16"))
        .hasMessageContaining("node b podCidr")
        .hasMessageContaining("overlaps node a");
    assertThatThrownBy(() -> lab.node("B_", "10.72.0.0/24")).hasMessageContaining("node name");
    assertThatThrownBy(() -> lab.node("c", "10.255.1.0/24"))
        .hasMessageContaining("node-link range");
    assertThatThrownBy(() -> lab.pod(a, "Bad Name")).hasMessageContaining("pod name");
    lab.pod(a, "p");
    assertThatThrownBy(() -> lab.pod(a, "p")).hasMessageContaining("already exists");
    assertThatThrownBy(() -> lab.link(a, a)).hasMessageContaining("itself");
    // Dashes are allowed, but node "a-p" would take pod p's namespace name.
    assertThatThrownBy(() -> lab.node("a-p", "10.72.0.0/24"))
        .hasMessageContaining("name collision");
    lab.node("node-b", "10.72.0.0/24");
    assertThat(NetLab.namespacesOf(lab.prefix())).hasSize(3);
  }

  @Test
  void failureMidwayIsCleanedUpByClose() throws Exception {
    Node a = lab.node("a", "10.71.1.0/24");
    // Sabotage: without the bridge, attaching the pod's veth fails half way through pod().
    Exec.run("ip", "-n", a.netns(), "link", "del", a.bridge());
    assertThatThrownBy(() -> lab.pod(a, "half"))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("command `ip -n " + a.netns() + " link set")
        .hasMessageContaining(a.bridge());
    assertThat(NetLab.namespacesOf(lab.prefix())).contains(a.netns() + "-half");
    // closeLab() checks that close() removes the half-built pod too.
  }

  @Test
  void closeIsIdempotentAndKillsProcessesInTheLab() throws Exception {
    Node a = lab.node("a", "10.71.1.0/24");
    Pod p = lab.pod(a, "p");
    Process tracked = lab.start(p, "sleep", "300");
    Process untracked = p.start("sleep", "300");
    lab.close();
    assertThat(tracked.waitFor(10, TimeUnit.SECONDS)).isTrue();
    assertThat(untracked.waitFor(10, TimeUnit.SECONDS)).isTrue();
    lab.close();
    assertGone(lab.prefix());
    assertThatThrownBy(() -> lab.pod(a, "again")).isInstanceOf(IllegalStateException.class);
  }

  @Test
  void sigtermToTheOwningJvmRemovesItsLab() throws Exception {
    Process holder =
        new ProcessBuilder(NetLab.javaArgv(LabHolderMain.class)).redirectErrorStream(true).start();
    try {
      BufferedReader out =
          new BufferedReader(
              new InputStreamReader(holder.getInputStream(), StandardCharsets.UTF_8));
      String prefix = out.readLine();
      assertThat(prefix).matches(NetLab.RANDOM_PREFIX_PATTERN);
      assertThat(NetLab.namespacesOf(prefix)).hasSize(4);
      holder.destroy(); // SIGTERM, as Ctrl-C's SIGINT: runs the shutdown hook
      assertThat(holder.waitFor(30, TimeUnit.SECONDS)).isTrue();
      assertGone(prefix);
    } finally {
      holder.destroyForcibly();
    }
  }

  @Test
  void leftoversOfADeadOwnerAreRemovedButLiveLabsKept() throws Exception {
    Node live = lab.node("a", "10.71.1.0/24");
    // An aborted run: a namespace and an owner file naming a process that no longer exists.
    // Same pattern, always a different name: change the first hex digit of the live prefix.
    String hex = lab.prefix().substring(2);
    char first =
        hex.charAt(0) == 'f' ? 'e' : Character.forDigit(Character.digit(hex.charAt(0), 16) + 1, 16);
    String dead = "al" + first + hex.substring(1);
    try {
      Exec.run("ip", "netns", "add", dead + "-x");
      Files.writeString(
          NetLab.RUN_DIR.resolve(dead), "pid 2147483600 start 2000-01-01T00:00:00Z\n");
      assertThat(NetLab.cleanupLeftovers(NetLab.RANDOM_PREFIX_PATTERN)).isGreaterThanOrEqualTo(1);
      assertGone(dead);
      assertThat(live.netnsPath()).exists();
    } finally {
      NetLab.destroy(dead);
    }
  }

  @Test
  void cliUpStatusDown() throws Exception {
    String prefix = "t" + lab.prefix().substring(2);
    try {
      var out = new java.io.StringWriter();
      var cli = new picocli.CommandLine(new NetLabCommand());
      cli.setOut(new java.io.PrintWriter(out, true));
      cli.setErr(new java.io.PrintWriter(out, true));
      int rc = cli.execute("up", "--prefix", prefix, "--pod", "a:web", "--pod", "b:curl");
      assertThat(rc).as(out.toString()).isZero();
      assertThat(out.toString()).contains(prefix + "-a-web").contains("10.71.1.2");
      assertThat(NetLab.namespacesOf(prefix)).hasSize(4);
      // The topology outlives the command (kept), and leftover cleanup leaves it alone.
      NetLab.cleanupLeftovers("t[0-9a-f]{4}");
      assertThat(NetLab.namespacesOf(prefix)).hasSize(4);
      // Bad input: a pod on an unknown node fails without leaving anything.
      out.getBuffer().setLength(0);
      rc = cli.execute("up", "--prefix", prefix + "x", "--pod", "z:web");
      assertThat(rc).isEqualTo(1);
      assertThat(out.toString()).contains("no node z");
      assertGone(prefix + "x");

      out.getBuffer().setLength(0);
      assertThat(cli.execute("status")).isZero();
      assertThat(out.toString()).contains("lab " + prefix + ": kept").contains("eth0=10.71.2.2/24");

      out.getBuffer().setLength(0);
      assertThat(cli.execute("down", "--prefix", prefix)).isZero();
      assertGone(prefix);
    } finally {
      NetLab.destroy(prefix);
    }
  }

  private static void assertGone(String prefix) throws IOException {
    assertThat(NetLab.namespacesOf(prefix)).as("namespaces of " + prefix).isEmpty();
    assertThat(NetLab.rootDevicesOf(prefix)).as("root devices of " + prefix).isEmpty();
    assertThat(Exec.run("ip", "-o", "link", "show")).doesNotContain(prefix + "-");
    assertThat(NetLab.RUN_DIR.resolve(prefix)).doesNotExist();
  }
}
