package dev.ambient.ztunnel.cni;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ambient.netlab.NetLab;
import dev.ambient.netlab.Node;
import dev.ambient.netlab.Pod;
import dev.ambient.netlab.probe.PodProbe;
import java.io.IOException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The capture rules in real pod namespaces (netlab), checked two ways: the ruleset ({@code
 * iptables-save}) and where real connections land.
 */
@Tag("root")
class InPodRulesTest {
  private static NetLab lab;
  private static Node nodeA;
  private static Node nodeB;
  private Pod client;
  private Pod server;

  @BeforeAll
  static void createLab() throws IOException {
    var reason = NetLab.unavailableReason();
    reason.ifPresent(System.out::println);
    Assumptions.assumeTrue(reason.isEmpty(), reason.orElse(""));
    NetLab.cleanupLeftovers(NetLab.RANDOM_PREFIX_PATTERN);
    lab = NetLab.create();
    nodeA = lab.node("a", "10.71.1.0/24");
    nodeB = lab.node("b", "10.71.2.0/24");
    lab.link(nodeA, nodeB);
  }

  @AfterAll
  static void closeLab() {
    if (lab != null) {
      lab.close();
    }
  }

  @BeforeEach
  void freshPods() throws IOException {
    for (Pod p : lab.pods()) {
      lab.deletePod(p);
    }
    client = lab.pod(nodeA, "client");
    server = lab.pod(nodeB, "server");
  }

  @Test
  void addInstallsRemoveRestoresTheOriginalRulesetAndBothAreIdempotent() throws Exception {
    // The pod's own rule, which capture must neither break nor remove.
    client.exec(
        "iptables", "-t", "nat", "-A", "OUTPUT", "-p", "udp", "--dport", "9999", "-j", "ACCEPT");
    InPodRules rules = new InPodRules(client.netnsPath());
    var original = InPodRules.ruleLines(rules.save());
    assertThat(rules.installed()).isFalse();

    rules.add();
    assertThat(rules.installed()).isTrue();
    var installed = InPodRules.ruleLines(rules.save());
    assertThat(installed)
        .contains("nat -A OUTPUT -j AMBIENT_OUTPUT", "nat -A PREROUTING -j AMBIENT_PREROUTING")
        .contains("nat -A AMBIENT_OUTPUT -p tcp -j REDIRECT --to-ports 15001")
        .contains("mangle -A OUTPUT -j AMBIENT_OUTPUT")
        .containsAll(original);
    // Our jump comes first, before the pod's own rule.
    assertThat(installed.indexOf("nat -A OUTPUT -j AMBIENT_OUTPUT"))
        .isLessThan(installed.indexOf("nat -A OUTPUT -p udp -m udp --dport 9999 -j ACCEPT"));

    rules.add();
    assertThat(InPodRules.ruleLines(rules.save())).isEqualTo(installed);

    rules.remove();
    assertThat(InPodRules.ruleLines(rules.save())).isEqualTo(original);
    assertThat(rules.installed()).isFalse();
    rules.remove();
    assertThat(InPodRules.ruleLines(rules.save())).isEqualTo(original);
  }

  @Test
  void connectionsLandOnTheInPodListeners() throws Exception {
    PodProbe.startEcho(lab, server, 7000, "server");
    PodProbe.startEcho(lab, client, 15001, "outbound");
    PodProbe.startEcho(lab, client, 15006, "inbound");
    PodProbe.startEcho(lab, client, 15008, "hbone");
    String serverIp = server.ip().getHostAddress();
    String clientIp = client.ip().getHostAddress();
    assertThat(PodProbe.exchange(client, serverIp, 7000, "hi")).isEqualTo("server hi");

    InPodRules rules = new InPodRules(client.netnsPath());
    rules.add();
    // Outbound TCP to anywhere lands on 15001 inside the pod.
    assertThat(PodProbe.exchange(client, serverIp, 7000, "hi")).isEqualTo("outbound hi");
    assertThat(PodProbe.exchange(client, "10.71.9.9", 80, "x")).isEqualTo("outbound x");
    // Loopback is not captured.
    assertThat(PodProbe.exchange(client, "127.0.0.1", 15008, "lo")).isEqualTo("hbone lo");
    // Inbound TCP lands on 15006, except HBONE on 15008.
    assertThat(PodProbe.exchange(server, clientIp, 8080, "in")).isEqualTo("inbound in");
    assertThat(PodProbe.exchange(server, clientIp, 15008, "tunnel")).isEqualTo("hbone tunnel");

    // ztunnel's own sockets carry mark 0x539: emulate one with a MARK rule ahead of our jump.
    client.exec(
        "iptables",
        "-t",
        "mangle",
        "-I",
        "OUTPUT",
        "1",
        "-p",
        "tcp",
        "--dport",
        "7000",
        "-j",
        "MARK",
        "--set-mark",
        "0x539");
    assertThat(PodProbe.exchange(client, serverIp, 7000, "marked")).isEqualTo("server marked");
    client.exec(
        "iptables",
        "-t",
        "mangle",
        "-D",
        "OUTPUT",
        "-p",
        "tcp",
        "--dport",
        "7000",
        "-j",
        "MARK",
        "--set-mark",
        "0x539");

    rules.remove();
    assertThat(PodProbe.exchange(client, serverIp, 7000, "free")).isEqualTo("server free");
    assertThat(PodProbe.exchange(server, clientIp, 15006, "direct")).isEqualTo("inbound direct");
  }
}
