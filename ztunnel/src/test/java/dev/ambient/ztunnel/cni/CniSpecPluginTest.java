package dev.ambient.ztunnel.cni;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The CNI-spec surface of the plugin, against a stand-in agent. */
class CniSpecPluginTest {
  private static final String PREV =
      "{\"cniVersion\":\"1.0.0\",\"interfaces\":[{\"name\":\"eth0\",\"sandbox\":\"/run/netns/x\"}],"
          + "\"ips\":[{\"address\":\"10.244.1.5/32\",\"gateway\":\"10.244.1.1\",\"interface\":0}]}";
  private static final String CONF =
      "{\"cniVersion\":\"1.0.0\",\"name\":\"k8s\",\"type\":\"ambient-cni\","
          + "\"agent_socket\":\"/tmp/agent.sock\",\"exclude_namespaces\":[\"kube-system\"],"
          + "\"prevResult\":"
          + PREV
          + "}";

  private final List<PluginEvent.Request> asked = new ArrayList<>();

  private Map<String, String> env(String command, String ns) {
    return Map.of(
        "CNI_COMMAND", command,
        "CNI_CONTAINERID", "c1",
        "CNI_NETNS", "/run/netns/x",
        "CNI_IFNAME", "eth0",
        "CNI_ARGS", "IgnoreUnknown=1;K8S_POD_NAMESPACE=" + ns + ";K8S_POD_NAME=p;K8S_POD_UID=u1");
  }

  private CniSpecPlugin answering(PluginEvent.Reply reply) {
    return new CniSpecPlugin(
        (Path socket, Duration timeout, PluginEvent.Request r) -> {
          assertThat(socket).isEqualTo(Path.of("/tmp/agent.sock"));
          asked.add(r);
          return reply;
        });
  }

  @Test
  void versionListsTheSupportedVersions() {
    CniSpecPlugin.Result r = answering(null).run(Map.of("CNI_COMMAND", "VERSION"), "");
    assertThat(r.exitCode()).isZero();
    JsonObject o = JsonParser.parseString(r.stdout()).getAsJsonObject();
    assertThat(o.get("supportedVersions").toString()).contains("1.0.0", "0.4.0");
  }

  @Test
  void addAsksTheAgentAndPassesThePreviousResultThrough() {
    CniSpecPlugin.Result r =
        answering(PluginEvent.Reply.ok(true, "captured")).run(env("ADD", "shop"), CONF);
    assertThat(r.exitCode()).isZero();
    assertThat(JsonParser.parseString(r.stdout())).isEqualTo(JsonParser.parseString(PREV));
    assertThat(asked).hasSize(1);
    PluginEvent.Request q = asked.get(0);
    assertThat(q.command()).isEqualTo("ADD");
    assertThat(q.namespace()).isEqualTo("shop");
    assertThat(q.name()).isEqualTo("p");
    assertThat(q.podUid()).isEqualTo("u1");
    assertThat(q.netns()).isEqualTo("/run/netns/x");
    assertThat(q.ips()).containsExactly("10.244.1.5");
  }

  @Test
  void addFailsClosedWhenTheAgentRefusesOrIsAbsent() {
    CniSpecPlugin.Result refused =
        answering(PluginEvent.Reply.failure("ztunnel refused the pod"))
            .run(env("ADD", "shop"), CONF);
    assertThat(refused.exitCode()).isNotZero();
    JsonObject e = JsonParser.parseString(refused.stdout()).getAsJsonObject();
    assertThat(e.get("code").getAsInt()).isEqualTo(CniSpecPlugin.CAPTURE_FAILED);
    assertThat(e.get("msg").getAsString()).contains("shop/p", "ztunnel refused the pod");

    CniSpecPlugin absent =
        new CniSpecPlugin(
            (s, t, r) -> {
              throw new CniClientException(
                  CniClientException.Kind.UNREACHABLE, "CNI agent socket missing", null);
            });
    CniSpecPlugin.Result down = absent.run(env("ADD", "shop"), CONF);
    assertThat(down.exitCode()).isNotZero();
    assertThat(JsonParser.parseString(down.stdout()).getAsJsonObject().get("code").getAsInt())
        .isEqualTo(CniSpecPlugin.TRY_AGAIN_LATER);
    // DEL never fails: a pod must always be removable.
    assertThat(absent.run(env("DEL", "shop"), CONF).exitCode()).isZero();
  }

  @Test
  void excludedNamespacesPassWithoutAskingTheAgent() {
    CniSpecPlugin.Result r = answering(null).run(env("ADD", "kube-system"), CONF);
    assertThat(r.exitCode()).isZero();
    assertThat(JsonParser.parseString(r.stdout())).isEqualTo(JsonParser.parseString(PREV));
    assertThat(asked).isEmpty();
  }

  @Test
  void badInputGetsTheSpecErrorNamingWhatIsWrong() {
    CniSpecPlugin p = answering(null);
    CniSpecPlugin.Result notJson = p.run(env("ADD", "shop"), "{nope");
    assertThat(notJson.exitCode()).isNotZero();
    assertThat(notJson.stdout()).contains("\"code\":6");

    CniSpecPlugin.Result oldVersion =
        p.run(
            env("ADD", "shop"),
            CONF.replace("\"cniVersion\":\"1.0.0\",\"name\"", "\"cniVersion\":\"0.1.0\",\"name\""));
    assertThat(oldVersion.stdout()).contains("\"code\":1").contains("0.1.0");

    CniSpecPlugin.Result unchained =
        p.run(
            env("ADD", "shop"),
            "{\"cniVersion\":\"1.0.0\",\"name\":\"k8s\",\"type\":\"ambient-cni\"}");
    assertThat(unchained.stdout()).contains("\"code\":7").contains("prevResult");

    CniSpecPlugin.Result noPod = p.run(Map.of("CNI_COMMAND", "ADD"), CONF);
    assertThat(noPod.stdout()).contains("\"code\":4").contains("K8S_POD_NAMESPACE");

    CniSpecPlugin.Result noCommand = p.run(Map.of(), CONF);
    assertThat(noCommand.stdout()).contains("\"code\":4").contains("CNI_COMMAND");

    CniSpecPlugin.Result badTimeout =
        p.run(
            env("ADD", "shop"),
            CONF.replace("\"name\":\"k8s\"", "\"name\":\"k8s\",\"timeout_seconds\":\"x\""));
    assertThat(badTimeout.stdout()).contains("\"code\":7").contains("timeout_seconds");
    assertThat(asked).isEmpty();
  }

  @Test
  void requestsAndRepliesSurviveTheWireAndRejectGarbage() {
    PluginEvent.Request q =
        new PluginEvent.Request("ADD", "c", "/run/netns/x", "ns", "p", "u", List.of("10.0.0.1"));
    assertThat(PluginEvent.Request.fromJson(q.toJson())).isEqualTo(q);
    PluginEvent.Reply a = PluginEvent.Reply.ok(true, "fine");
    assertThat(PluginEvent.Reply.fromJson(a.toJson())).isEqualTo(a);
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () ->
                PluginEvent.Request.fromJson(
                    "{\"command\":\"RM\",\"namespace\":\"a\",\"name\":\"b\"}"))
        .hasMessageContaining("field command");
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () -> PluginEvent.Request.fromJson("{\"command\":\"ADD\",\"name\":\"b\"}"))
        .hasMessageContaining("field namespace");
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> PluginEvent.Reply.fromJson("[1]"))
        .hasMessageContaining("not a JSON object");
  }
}
