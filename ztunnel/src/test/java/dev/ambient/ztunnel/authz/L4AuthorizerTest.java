package dev.ambient.ztunnel.authz;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.ambient.api.authz.AuthorizationPolicy;
import dev.ambient.api.authz.AuthorizationPolicy.Action;
import dev.ambient.api.authz.AuthorizationPolicy.Scope;
import dev.ambient.api.authz.Clause;
import dev.ambient.api.authz.IpLiteral;
import dev.ambient.api.authz.Match;
import dev.ambient.api.authz.Rule;
import dev.ambient.api.config.MeshConfigLoader;
import dev.ambient.api.model.MeshConfig;
import dev.ambient.api.model.MeshState;
import dev.ambient.api.model.Workload;
import dev.ambient.api.spiffe.SpiffeId;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

class L4AuthorizerTest {
  static final String WORKLOADS =
      """
      workloads:
      - {name: server, namespace: default, node: n, addresses: [127.0.2.1, "fd00::2"], labels: {app: server}}
      - {name: web, namespace: default, node: n, addresses: [127.0.2.2], labels: {app: web}}
      - {name: other, namespace: other, node: n, addresses: [127.0.2.3], labels: {app: server}}
      """;
  static final SpiffeId SLEEP = SpiffeId.of("cluster.local", "default", "sleep");
  static final SpiffeId PROD = SpiffeId.of("cluster.local", "prod-eu", "api");

  final L4Authorizer authorizer = new L4Authorizer();

  // ---- the decision order -------------------------------------------------------------------

  @Test
  void noPolicyAllows() {
    MeshState s = state("");
    assertThat(check(s, "server", SLEEP, "127.0.5.1", 80))
        .isEqualTo(Decision.allow("allowed: no ALLOW policy selects the workload"));
  }

  @Test
  void allowPolicyWithoutRulesDeniesEverything() {
    MeshState s = state(policy("p", "default", "ALLOW", null));
    assertThat(check(s, "server", SLEEP, "127.0.5.1", 80))
        .isEqualTo(Decision.deny("no ALLOW policy matched"));
  }

  @Test
  void allowRuleWithoutConditionsAllowsEverything() {
    MeshState s = state(policy("p", "default", "ALLOW", "[{}]"));
    assertThat(check(s, "server", null, "127.0.5.1", 80))
        .isEqualTo(Decision.allow("allowed by policy default/p"));
  }

  @Test
  void denyWinsOverAllow() {
    MeshState s =
        state(
            policy("a", "default", "ALLOW", "[{}]")
                + policy("d", "default", "DENY", "[{to: [{operation: {ports: [\"80\"]}}]}]"));
    assertThat(check(s, "server", SLEEP, "127.0.5.1", 80))
        .isEqualTo(Decision.deny("denied by policy default/d"));
    assertThat(check(s, "server", SLEEP, "127.0.5.1", 81))
        .isEqualTo(Decision.allow("allowed by policy default/a"));
  }

  @Test
  void denyWithoutAllowPolicyLeavesTheRestAllowed() {
    MeshState s = state(policy("d", "default", "DENY", "[{to: [{operation: {ports: [\"80\"]}}]}]"));
    assertThat(check(s, "server", SLEEP, "127.0.5.1", 80).allowed()).isFalse();
    assertThat(check(s, "server", SLEEP, "127.0.5.1", 81))
        .isEqualTo(Decision.allow("allowed: no ALLOW policy selects the workload"));
  }

  @Test
  void anyAllowPolicyMatchingSuffices() {
    MeshState s =
        state(
            policy("a1", "default", "ALLOW", "[{to: [{operation: {ports: [\"1\"]}}]}]")
                + policy("a2", "default", "ALLOW", "[{to: [{operation: {ports: [\"2\"]}}]}]"));
    assertThat(check(s, "server", SLEEP, "127.0.5.1", 2).reason())
        .isEqualTo("allowed by policy default/a2");
    assertThat(check(s, "server", SLEEP, "127.0.5.1", 3).allowed()).isFalse();
  }

  // ---- the semantics table of Rule / Clause / Match ------------------------------------------

  @Test
  void ruleClauseMatchSemantics() {
    Match yes = Match.any();
    Match no = Match.destinationPorts(List.of(1), List.of());
    assertThat(allowedBy(new Rule(List.of()))).as("no clauses matches all").isTrue();
    assertThat(allowedBy(new Rule(List.of(new Clause(List.of()))))).as("empty clause").isFalse();
    assertThat(allowedBy(Rule.never())).isFalse();
    assertThat(allowedBy(new Rule(List.of(new Clause(List.of(no, yes)))))).as("OR").isTrue();
    assertThat(allowedBy(new Rule(List.of(new Clause(List.of(no, no)))))).isFalse();
    assertThat(allowedBy(new Rule(List.of(new Clause(List.of(yes)), new Clause(List.of(no))))))
        .as("AND")
        .isFalse();
    assertThat(allowedBy(new Rule(List.of(new Clause(List.of(yes)), new Clause(List.of(yes))))))
        .isTrue();
  }

  private boolean allowedBy(Rule rule) {
    AuthorizationPolicy p =
        new AuthorizationPolicy(
            "p", "default", Scope.NAMESPACE, Action.ALLOW, Map.of(), List.of(rule), false);
    MeshState s = stateOf(p);
    return check(s, "server", SLEEP, "127.0.5.1", 80).allowed();
  }

  // ---- each field and its not_ form ----------------------------------------------------------

  @Test
  void principalsExactPrefixSuffixPresence() {
    assertThat(allowedFrom("{principals: [cluster.local/ns/default/sa/sleep]}", SLEEP)).isTrue();
    assertThat(allowedFrom("{principals: [\"spiffe://cluster.local/ns/default/sa/sleep\"]}", SLEEP))
        .isTrue();
    assertThat(allowedFrom("{principals: [cluster.local/ns/default/sa/sleepy]}", SLEEP)).isFalse();
    assertThat(allowedFrom("{principals: [cluster.local/ns/default/sa/Sleep]}", SLEEP))
        .as("exact, case-sensitive")
        .isFalse();
    assertThat(allowedFrom("{principals: [\"cluster.local/ns/default/*\"]}", SLEEP)).isTrue();
    assertThat(allowedFrom("{principals: [\"*/sa/sleep\"]}", SLEEP)).isTrue();
    assertThat(allowedFrom("{principals: [\"*/sa/api\"]}", SLEEP)).isFalse();
    assertThat(allowedFrom("{principals: [\"*\"]}", SLEEP)).isTrue();
    assertThat(allowedFrom("{principals: [\"*\"]}", null)).as("plaintext has none").isFalse();
    assertThat(allowedFrom("{principals: [x, \"*/sa/sleep\"]}", SLEEP)).as("values OR").isTrue();
  }

  @Test
  void notPrincipals() {
    assertThat(allowedFrom("{notPrincipals: [cluster.local/ns/default/sa/sleep]}", SLEEP))
        .isFalse();
    assertThat(allowedFrom("{notPrincipals: [cluster.local/ns/default/sa/sleep]}", PROD)).isTrue();
    assertThat(allowedFrom("{notPrincipals: [\"*\"]}", SLEEP)).isFalse();
    assertThat(allowedFrom("{notPrincipals: [\"*\"]}", null)).as("plaintext: holds").isTrue();
    assertThat(allowedFrom("{notPrincipals: [a, \"*/sa/sleep\"]}", SLEEP)).as("none").isFalse();
  }

  @Test
  void namespacesComeFromTheVerifiedIdentity() {
    assertThat(allowedFrom("{namespaces: [default]}", SLEEP)).isTrue();
    assertThat(allowedFrom("{namespaces: [other]}", SLEEP)).isFalse();
    assertThat(allowedFrom("{namespaces: [\"prod-*\"]}", PROD)).isTrue();
    assertThat(allowedFrom("{namespaces: [\"*-eu\"]}", PROD)).isTrue();
    assertThat(allowedFrom("{namespaces: [\"*\"]}", null)).isFalse();
    assertThat(allowedFrom("{namespaces: [default]}", null)).isFalse();
    assertThat(allowedFrom("{notNamespaces: [default]}", SLEEP)).isFalse();
    assertThat(allowedFrom("{notNamespaces: [default]}", PROD)).isTrue();
    assertThat(allowedFrom("{notNamespaces: [default]}", null)).isTrue();
  }

  @Test
  void sourceIpBlocksV4AndV6() {
    assertThat(allowedFrom("{ipBlocks: [\"10.0.0.0/8\"]}", SLEEP, "10.255.255.255")).isTrue();
    assertThat(allowedFrom("{ipBlocks: [\"10.0.0.0/8\"]}", SLEEP, "11.0.0.0")).isFalse();
    assertThat(allowedFrom("{ipBlocks: [\"10.1.2.3\"]}", SLEEP, "10.1.2.3")).isTrue();
    assertThat(allowedFrom("{ipBlocks: [\"10.1.2.3\"]}", SLEEP, "10.1.2.4")).isFalse();
    assertThat(allowedFrom("{ipBlocks: [\"192.168.0.0/23\"]}", SLEEP, "192.168.1.200")).isTrue();
    assertThat(allowedFrom("{ipBlocks: [\"192.168.0.0/23\"]}", SLEEP, "192.168.2.0")).isFalse();
    assertThat(allowedFrom("{ipBlocks: [\"0.0.0.0/0\"]}", SLEEP, "1.2.3.4")).isTrue();
    assertThat(allowedFrom("{ipBlocks: [\"0.0.0.0/0\"]}", SLEEP, "::1")).as("family").isFalse();
    assertThat(allowedFrom("{ipBlocks: [\"fd00:1::/32\"]}", SLEEP, "fd00:1:ffff::9")).isTrue();
    assertThat(allowedFrom("{ipBlocks: [\"fd00:1::/32\"]}", SLEEP, "fd00:2::9")).isFalse();
    assertThat(allowedFrom("{ipBlocks: [\"::/0\"]}", SLEEP, "10.0.0.1")).isFalse();
    assertThat(allowedFrom("{remoteIpBlocks: [\"10.0.0.0/8\"]}", null, "10.0.0.1")).isTrue();
    assertThat(allowedFrom("{notIpBlocks: [\"10.0.0.0/8\"]}", SLEEP, "10.0.0.1")).isFalse();
    assertThat(allowedFrom("{notIpBlocks: [\"10.0.0.0/8\"]}", SLEEP, "12.0.0.1")).isTrue();
    assertThat(allowedFrom("{notIpBlocks: [\"fd00::/8\"]}", SLEEP, "fd12::1")).isFalse();
    assertThat(
            allowedFrom(
                "{ipBlocks: [\"10.0.0.0/8\"], notIpBlocks: [\"10.1.0.0/16\"]}", SLEEP, "10.1.0.1"))
        .isFalse();
  }

  @Test
  void destinationPortsAndNotPorts() {
    MeshState s =
        state(
            policy(
                "p",
                "default",
                "ALLOW",
                "[{to: [{operation: {ports: [\"80\", \"443\"], notPorts: [\"443\"]}}]}]"));
    assertThat(check(s, "server", SLEEP, "127.0.5.1", 80).allowed()).isTrue();
    assertThat(check(s, "server", SLEEP, "127.0.5.1", 443).allowed()).isFalse();
    assertThat(check(s, "server", SLEEP, "127.0.5.1", 8080).allowed()).isFalse();
    MeshState n =
        state(policy("p", "default", "ALLOW", "[{to: [{operation: {notPorts: [\"22\"]}}]}]"));
    assertThat(check(n, "server", SLEEP, "127.0.5.1", 22).allowed()).isFalse();
    assertThat(check(n, "server", SLEEP, "127.0.5.1", 23).allowed()).isTrue();
  }

  @Test
  void whenConditionsAreAndedAndCoverDestinationIp() {
    MeshState s =
        state(
            policy(
                "p",
                "default",
                "ALLOW",
                """
        [{when: [{key: destination.ip, values: ["127.0.2.1"]},
                 {key: source.principal, notValues: ["cluster.local/ns/prod-eu/sa/api"]}]}]"""));
    assertThat(check(s, "server", SLEEP, "127.0.5.1", "127.0.2.1", 80).allowed()).isTrue();
    assertThat(check(s, "server", PROD, "127.0.5.1", "127.0.2.1", 80).allowed()).isFalse();
    assertThat(check(s, "server", SLEEP, "127.0.5.1", "fd00::2", 80).allowed()).isFalse();
    MeshState v6 =
        state(
            policy(
                "p",
                "default",
                "ALLOW",
                "[{when: [{key: destination.ip, notValues: [\"fd00::/16\"]}]}]"));
    assertThat(check(v6, "server", SLEEP, "127.0.5.1", "fd00::2", 80).allowed()).isFalse();
    assertThat(check(v6, "server", SLEEP, "127.0.5.1", "127.0.2.1", 80).allowed()).isTrue();
  }

  @Test
  void fromAndToAreAnded() {
    MeshState s =
        state(
            policy(
                "p",
                "default",
                "ALLOW",
                "[{from: [{source: {namespaces: [default]}}], to: [{operation: {ports: [\"80\"]}}]}]"));
    assertThat(check(s, "server", SLEEP, "127.0.5.1", 80).allowed()).isTrue();
    assertThat(check(s, "server", SLEEP, "127.0.5.1", 81).allowed()).isFalse();
    assertThat(check(s, "server", PROD, "127.0.5.1", 80).allowed()).isFalse();
  }

  // ---- L7 fields -------------------------------------------------------------------------------

  @Test
  void allowRuleWithL7FieldsNeverMatchesSoTheWorkloadIsDenied() {
    MeshState s =
        state(
            policy(
                "p",
                "default",
                "ALLOW",
                "[{from: [{source: {namespaces: [default]}}], to: [{operation: {methods: [GET]}}]}]"));
    assertThat(check(s, "server", SLEEP, "127.0.5.1", 80))
        .isEqualTo(Decision.deny("no ALLOW policy matched"));
  }

  @Test
  void denyRuleWithL7FieldsDropsThemAndDeniesWhatRemains() {
    MeshState s =
        state(
            policy(
                "d",
                "default",
                "DENY",
                "[{from: [{source: {namespaces: [default]}}], to: [{operation: {methods: [GET]}}]}]"));
    assertThat(check(s, "server", SLEEP, "127.0.5.1", 80))
        .isEqualTo(Decision.deny("denied by policy default/d"));
    assertThat(check(s, "server", PROD, "127.0.5.1", 80).allowed()).isTrue();
    MeshState onlyL7 =
        state(policy("d", "default", "DENY", "[{from: [{source: {requestPrincipals: [\"*\"]}}]}]"));
    assertThat(check(onlyL7, "server", PROD, "127.0.5.1", 80).allowed()).isFalse();
    assertThat(check(onlyL7, "server", null, "127.0.5.1", 80).allowed()).isFalse();
  }

  // ---- scopes ----------------------------------------------------------------------------------

  @Test
  void globalNamespaceAndSelectorScopes() {
    MeshState global = state(policy("g", "istio-system", "DENY", "[{}]"));
    assertThat(check(global, "other", SLEEP, "127.0.5.1", 80).reason())
        .isEqualTo("denied by policy istio-system/g");
    assertThat(check(global, "server", SLEEP, "127.0.5.1", 80).allowed()).isFalse();

    MeshState ns = state(policy("n", "default", "DENY", "[{}]"));
    assertThat(check(ns, "server", SLEEP, "127.0.5.1", 80).allowed()).isFalse();
    assertThat(check(ns, "other", SLEEP, "127.0.5.1", 80).allowed()).isTrue();

    MeshState sel =
        state(
            """
        - metadata: {name: s, namespace: default}
          spec: {selector: {matchLabels: {app: server}}, action: DENY, rules: [{}]}
        """);
    assertThat(check(sel, "server", SLEEP, "127.0.5.1", 80).allowed()).isFalse();
    assertThat(check(sel, "web", SLEEP, "127.0.5.1", 80).allowed()).as("labels").isTrue();
    assertThat(check(sel, "other", SLEEP, "127.0.5.1", 80).allowed()).as("namespace").isTrue();
  }

  // ---- dry run ---------------------------------------------------------------------------------

  @Test
  void dryRunPoliciesAreOnlyLogged() {
    Logger logger = (Logger) LoggerFactory.getLogger(L4Authorizer.class);
    ListAppender<ILoggingEvent> appender = new ListAppender<>();
    appender.start();
    logger.addAppender(appender);
    try {
      MeshState s =
          state(
              """
          - metadata: {name: dry, namespace: default, annotations: {istio.io/dry-run: "true"}}
            spec: {action: DENY, rules: [{}]}
          - metadata: {name: dry-allow, namespace: default, annotations: {istio.io/dry-run: "true"}}
            spec: {rules: [{to: [{operation: {ports: ["1"]}}]}]}
          """);
      assertThat(check(s, "server", SLEEP, "127.0.5.1", 80))
          .isEqualTo(Decision.allow("allowed: no ALLOW policy selects the workload"));
      assertThat(appender.list)
          .extracting(ILoggingEvent::getFormattedMessage)
          .anySatisfy(m -> assertThat(m).contains("dry-run policy default/dry (DENY) matched"))
          .anySatisfy(
              m -> assertThat(m).contains("would be denied (denied by policy default/dry)"));
    } finally {
      logger.detachAppender(appender);
    }
  }

  // ---- plaintext caller, state changes, bad input ---------------------------------------------

  @Test
  void plaintextCallerOnlyPassesIdentityFreeConditions() {
    MeshState s =
        state(
            policy(
                "p",
                "default",
                "ALLOW",
                "[{from: [{source: {principals: [\"*\"]}}, {source: {ipBlocks: [\"127.0.9.0/24\"]}}]}]"));
    assertThat(check(s, "server", null, "127.0.9.9", 80).allowed()).isTrue();
    assertThat(check(s, "server", null, "127.0.5.1", 80).allowed()).isFalse();
    assertThat(check(s, "server", SLEEP, "127.0.5.1", 80).allowed()).isTrue();
  }

  @Test
  void aNewStateIsUsedAtOnce() {
    MeshState open = state("");
    MeshState closed = state(policy("n", "default", "DENY", "[{}]"));
    assertThat(check(open, "server", SLEEP, "127.0.5.1", 80).allowed()).isTrue();
    assertThat(check(closed, "server", SLEEP, "127.0.5.1", 80).allowed()).isFalse();
    assertThat(check(open, "server", SLEEP, "127.0.5.1", 80).allowed()).isTrue();
  }

  @Test
  void missingInputFailsClosed() {
    MeshState s = state("");
    assertThat(authorizer.check(s, null, ctx(SLEEP, "127.0.5.1", "127.0.2.1", 80)).allowed())
        .isFalse();
    ConnectionContext noIps = new ConnectionContext(SLEEP, null, null, 80);
    MeshState p =
        state(policy("p", "default", "ALLOW", "[{from: [{source: {ipBlocks: [\"0.0.0.0/0\"]}}]}]"));
    assertThat(authorizer.check(p, workload(p, "server"), noIps).allowed()).isFalse();
  }

  // ---- helpers ---------------------------------------------------------------------------------

  private boolean allowedFrom(String source, SpiffeId who) {
    return allowedFrom(source, who, "127.0.5.1");
  }

  private boolean allowedFrom(String source, SpiffeId who, String srcIp) {
    MeshState s = state(policy("p", "default", "ALLOW", "[{from: [{source: " + source + "}]}]"));
    return check(s, "server", who, srcIp, 80).allowed();
  }

  private Decision check(MeshState s, String workload, SpiffeId who, String srcIp, int port) {
    Workload w = workload(s, workload);
    return authorizer.check(s, w, ctx(who, srcIp, w.addresses().get(0).getHostAddress(), port));
  }

  private Decision check(
      MeshState s, String workload, SpiffeId who, String srcIp, String dstIp, int port) {
    return authorizer.check(s, workload(s, workload), ctx(who, srcIp, dstIp, port));
  }

  static ConnectionContext ctx(SpiffeId who, String src, String dst, int port) {
    return new ConnectionContext(who, IpLiteral.parse(src), IpLiteral.parse(dst), port);
  }

  static Workload workload(MeshState s, String name) {
    return s.workloads().stream().filter(w -> w.name().equals(name)).findFirst().orElseThrow();
  }

  static String policy(String name, String ns, String action, String rules) {
    return "- metadata: {name: "
        + name
        + ", namespace: "
        + ns
        + "}\n  spec:\n    action: "
        + action
        + "\n"
        + (rules == null ? "" : "    rules: " + rules.replace("\n", "\n      ") + "\n");
  }

  static MeshState state(String policies) {
    try {
      String yaml = WORKLOADS + (policies.isEmpty() ? "" : "authorizationPolicies:\n" + policies);
      return MeshState.of(MeshConfigLoader.parse(yaml, "test"), 1);
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  static MeshState stateOf(AuthorizationPolicy p) {
    try {
      MeshConfig base = MeshConfigLoader.parse(WORKLOADS, "test");
      return MeshState.of(new MeshConfig(base.workloads(), base.services(), List.of(p)), 1);
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }
}
