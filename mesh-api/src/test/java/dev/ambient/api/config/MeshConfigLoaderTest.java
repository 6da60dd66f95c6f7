package dev.ambient.api.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ambient.api.authz.AuthorizationPolicy;
import dev.ambient.api.authz.AuthorizationPolicy.Action;
import dev.ambient.api.authz.AuthorizationPolicy.Scope;
import dev.ambient.api.authz.Cidr;
import dev.ambient.api.authz.Clause;
import dev.ambient.api.authz.Match;
import dev.ambient.api.authz.Rule;
import dev.ambient.api.authz.StringMatch;
import dev.ambient.api.model.GatewayAddress;
import dev.ambient.api.model.InvalidMeshConfigException;
import dev.ambient.api.model.LoadBalancing;
import dev.ambient.api.model.MeshConfig;
import dev.ambient.api.model.MeshState;
import dev.ambient.api.model.Service;
import dev.ambient.api.model.ServicePort;
import dev.ambient.api.model.TunnelProtocol;
import dev.ambient.api.model.Workload;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MeshConfigLoaderTest {

  static final String EXAMPLE =
      """
      trustDomain: example.org
      rootNamespace: mesh-root
      workloads:
      - name: client
        namespace: default
        serviceAccount: sleep
        node: node-a
        addresses: [127.0.1.1]
        waypoint: {address: 127.0.3.1}
        labels: {app: client, version: v2}
      - name: server
        namespace: default
        uid: c1//Pod/default/server
        node: node-b
        addresses: [127.0.1.2, "::1"]
        protocol: TCP
        labels: {app: server, service.istio.io/canonical-name: srv}
      services:
      - name: echo
        namespace: default
        vips: [127.0.10.1]
        ports: [{port: 80, targetPort: 8080}, {port: 81, name: db, appProtocol: mysql}]
        endpoints: {app: server}
        loadBalancing: LEAST_REQUESTS
        waypoint: {service: default/wp.default.svc.cluster.local, hbonePort: 15009}
      - name: echo2
        namespace: default
        hostname: echo2.example
        endpoints: [c1//Pod/default/server]
      authorizationPolicies:
      - metadata: {name: deny-sleep, namespace: default}
        spec:
          selector: {matchLabels: {app: server}}
          action: DENY
          rules:
          - from: [{source: {principals: ["example.org/ns/default/sa/sleep"]}}]
            to: [{operation: {ports: ["8080"]}}]
            when: [{key: source.ip, values: ["10.0.0.0/8"], notValues: ["10.1.0.0/16"]}]
      - metadata: {name: global, namespace: mesh-root}
        spec: {}
      - metadata:
          name: ns-allow
          namespace: default
          annotations: {istio.io/dry-run: "true"}
        spec:
          rules:
          - from: [{source: {namespaces: ["prod-*"]}}, {source: {ipBlocks: ["fd00::/8"]}}]
      """;

  @Test
  void readsTheDocumentedExample() throws Exception {
    MeshConfig config = MeshConfigLoader.parse(EXAMPLE, "example.yaml");

    Workload client = config.workloads().get(0);
    assertThat(client.uid()).isEqualTo("Kubernetes//Pod/default/client");
    assertThat(client.identity().uri()).isEqualTo("spiffe://example.org/ns/default/sa/sleep");
    assertThat(client.protocol()).isEqualTo(TunnelProtocol.HBONE);
    assertThat(client.waypoint()).isEqualTo(GatewayAddress.ofAddress(ip("127.0.3.1")));
    assertThat(client.canonicalName()).isEqualTo("client");
    assertThat(client.canonicalRevision()).isEqualTo("v2");

    Workload server = config.workloads().get(1);
    assertThat(server.uid()).isEqualTo("c1//Pod/default/server");
    assertThat(server.serviceAccount()).isEqualTo("default");
    assertThat(server.protocol()).isEqualTo(TunnelProtocol.NONE);
    assertThat(server.addresses()).containsExactly(ip("127.0.1.2"), ip("::1"));
    assertThat(server.canonicalName()).isEqualTo("srv");
    assertThat(server.canonicalRevision()).isEqualTo("latest");

    Service echo = config.services().get(0);
    assertThat(echo.hostname()).isEqualTo("echo.default.svc.example.org");
    assertThat(echo.ports())
        .containsExactly(new ServicePort(80, 8080), new ServicePort(81, 0, "db", "mysql"));
    assertThat(echo.endpoints()).containsExactly("c1//Pod/default/server");
    assertThat(echo.loadBalancing()).isEqualTo(LoadBalancing.LEAST_REQUESTS);
    assertThat(echo.waypoint())
        .isEqualTo(new GatewayAddress("default/wp.default.svc.cluster.local", null, 15009));
    assertThat(config.services().get(1).hostname()).isEqualTo("echo2.example");

    AuthorizationPolicy deny = config.policies().get(0);
    assertThat(deny.scope()).isEqualTo(Scope.WORKLOAD_SELECTOR);
    assertThat(deny.selector()).isEqualTo(Map.of("app", "server"));
    assertThat(deny.action()).isEqualTo(Action.DENY);
    assertThat(deny.dryRun()).isFalse();
    Rule rule = deny.rules().get(0);
    assertThat(rule.clauses()).hasSize(3);
    assertThat(rule.clauses().get(0).matches().get(0).principals())
        .containsExactly(new StringMatch.Exact("example.org/ns/default/sa/sleep"));
    assertThat(rule.clauses().get(1).matches().get(0).destinationPorts()).containsExactly(8080);
    Match when = rule.clauses().get(2).matches().get(0);
    assertThat(when.sourceIps()).containsExactly(Cidr.parse("10.0.0.0/8"));
    assertThat(when.notSourceIps()).containsExactly(Cidr.parse("10.1.0.0/16"));

    AuthorizationPolicy global = config.policies().get(1);
    assertThat(global.scope()).isEqualTo(Scope.GLOBAL);
    assertThat(global.action()).isEqualTo(Action.ALLOW);
    assertThat(global.rules()).isEmpty();

    AuthorizationPolicy ns = config.policies().get(2);
    assertThat(ns.scope()).isEqualTo(Scope.NAMESPACE);
    assertThat(ns.dryRun()).isTrue();
    assertThat(ns.rules().get(0).clauses().get(0).matches()).hasSize(2);
    assertThat(ns.rules().get(0).clauses().get(0).matches().get(0).namespaces())
        .containsExactly(new StringMatch.Prefix("prod-"));

    assertThat(MeshState.of(config, 7).version()).isEqualTo(7);
  }

  @Test
  void defaultsTrustDomainAndRootNamespace() throws Exception {
    MeshConfig config =
        MeshConfigLoader.parse(
            """
            workloads:
            - {name: a, namespace: ns1, node: n, addresses: [127.0.1.1]}
            authorizationPolicies:
            - metadata: {name: g, namespace: istio-system}
            """,
            "t");
    assertThat(config.workloads().get(0).trustDomain()).isEqualTo("cluster.local");
    assertThat(config.workloads().get(0).canonicalName()).isEqualTo("a");
    assertThat(config.policies().get(0).scope()).isEqualTo(Scope.GLOBAL);
  }

  @Test
  void allowRuleWithL7FieldsNeverMatches() throws Exception {
    ParsedMeshConfig parsed =
        MeshConfigLoader.parseDetailed(
            policy(
                "ALLOW",
                """
                  - from: [{source: {namespaces: [default]}}]
                    to: [{operation: {methods: [GET], ports: ["80"]}}]
                  - from: [{source: {namespaces: [other]}}]
                """),
            "t");
    List<Rule> rules = parsed.config().policies().get(0).rules();
    assertThat(rules.get(0)).isEqualTo(Rule.never());
    assertThat(rules.get(1).clauses()).hasSize(1);
    assertThat(parsed.notes())
        .anySatisfy(n -> assertThat(n).contains("spec.rules[0]").contains("never matches"));
  }

  @Test
  void allowRuleWithL7ConditionNeverMatches() throws Exception {
    MeshConfig config =
        MeshConfigLoader.parse(
            policy(
                "ALLOW",
                """
                  - when: [{key: "request.headers[x-user]", values: [admin]}]
                """),
            "t");
    assertThat(config.policies().get(0).rules()).containsExactly(Rule.never());
  }

  @Test
  void denyRuleDropsL7PartsAndKeepsTheRest() throws Exception {
    MeshConfig config =
        MeshConfigLoader.parse(
            policy(
                "DENY",
                """
                  - from: [{source: {requestPrincipals: ["*"], namespaces: [evil]}}]
                    to: [{operation: {paths: [/admin]}}]
                    when: [{key: "request.auth.claims[iss]", values: [x]}, {key: destination.port, values: ["9090"]}]
                  - to: [{operation: {methods: [DELETE]}}]
                """),
            "t");
    List<Rule> rules = config.policies().get(0).rules();
    Rule first = rules.get(0);
    assertThat(first.clauses()).hasSize(3);
    assertThat(first.clauses().get(0).matches().get(0).namespaces())
        .containsExactly(new StringMatch.Exact("evil"));
    // The operation had only L7 fields: its Match is left without conditions (matches all).
    assertThat(first.clauses().get(1)).isEqualTo(new Clause(List.of(Match.any())));
    assertThat(first.clauses().get(2).matches().get(0).destinationPorts()).containsExactly(9090);
    // A DENY whose only conditions were L7 denies everything it selects.
    assertThat(rules.get(1)).isEqualTo(new Rule(List.of(new Clause(List.of(Match.any())))));
  }

  @Test
  void auditAndCustomAndTargetRefPoliciesAreSkippedWithANote() throws Exception {
    String yaml =
        """
        authorizationPolicies:
        - metadata: {name: a, namespace: default}
          spec: {action: AUDIT, rules: [{to: [{operation: {methods: [GET]}}]}]}
        - metadata: {name: c, namespace: default}
          spec: {action: CUSTOM, provider: {name: ext}, rules: [{}]}
        - metadata: {name: t, namespace: default}
          spec: {targetRefs: [{kind: Service, name: x}], rules: [{}]}
        """;
    ParsedMeshConfig parsed = MeshConfigLoader.parseDetailed(yaml, "t");
    assertThat(parsed.config().policies()).isEmpty();
    assertThat(parsed.notes()).hasSize(3);
    assertThat(parsed.notes().get(0))
        .isEqualTo(
            "authorizationPolicies[0] (default/a): action AUDIT is not enforced at L4 (skipped)");
  }

  @Test
  void translatesEveryL4Field() throws Exception {
    MeshConfig config =
        MeshConfigLoader.parse(
            policy(
                "ALLOW",
                """
                  - from:
                    - source:
                        principals: ["spiffe://cluster.local/ns/a/sa/b", "*/sa/admin"]
                        notPrincipals: ["*"]
                        notNamespaces: [kube-system]
                        ipBlocks: [1.2.3.4]
                        remoteIpBlocks: ["5.6.0.0/16"]
                        notIpBlocks: ["::1"]
                        notRemoteIpBlocks: ["7.7.7.7"]
                    - source: {serviceAccounts: [ns1/sa1], notServiceAccounts: [ns2/sa2]}
                    to: [{operation: {notPorts: [22, "23"]}}]
                    when:
                    - {key: destination.ip, notValues: ["127.0.0.0/8"]}
                    - {key: source.namespace, values: [x]}
                    - {key: source.principal, notValues: [cluster.local/ns/a/sa/c]}
                    - {key: remote.ip, values: [9.9.9.9]}
                    - {key: source.serviceAccount, values: [ns3/sa3]}
                """),
            "t");
    Rule rule = config.policies().get(0).rules().get(0);
    Match src = rule.clauses().get(0).matches().get(0);
    assertThat(src.principals())
        .containsExactly(
            new StringMatch.Exact("cluster.local/ns/a/sa/b"), new StringMatch.Suffix("/sa/admin"));
    assertThat(src.notPrincipals()).containsExactly(new StringMatch.Presence());
    assertThat(src.notNamespaces()).containsExactly(new StringMatch.Exact("kube-system"));
    assertThat(src.sourceIps()).containsExactly(Cidr.parse("1.2.3.4/32"), Cidr.parse("5.6.0.0/16"));
    assertThat(src.notSourceIps()).containsExactly(Cidr.parse("::1"), Cidr.parse("7.7.7.7"));
    Match sa = rule.clauses().get(0).matches().get(1);
    assertThat(sa.principals())
        .containsExactly(new StringMatch.Exact("cluster.local/ns/ns1/sa/sa1"));
    assertThat(sa.notPrincipals())
        .containsExactly(new StringMatch.Exact("cluster.local/ns/ns2/sa/sa2"));
    assertThat(rule.clauses().get(1).matches().get(0).notDestinationPorts())
        .containsExactly(22, 23);
    assertThat(rule.clauses()).hasSize(7);
    assertThat(rule.clauses().get(2).matches().get(0).notDestinationIps())
        .containsExactly(Cidr.parse("127.0.0.0/8"));
    assertThat(rule.clauses().get(3).matches().get(0).namespaces())
        .containsExactly(new StringMatch.Exact("x"));
    assertThat(rule.clauses().get(4).matches().get(0).notPrincipals())
        .containsExactly(new StringMatch.Exact("cluster.local/ns/a/sa/c"));
    assertThat(rule.clauses().get(5).matches().get(0).sourceIps())
        .containsExactly(Cidr.parse("9.9.9.9"));
    assertThat(rule.clauses().get(6).matches().get(0).principals())
        .containsExactly(new StringMatch.Exact("cluster.local/ns/ns3/sa/sa3"));
  }

  @Test
  void errorsNameTheObjectAndTheField() {
    String yaml =
        """
        workloads:
        - {name: ok, namespace: default, node: n, addresses: [127.0.1.9]}
        - {name: client, namespace: default, node: n, addresses: [abc]}
        authorizationPolicies:
        - metadata: {name: deny-sleep, namespace: default}
          spec:
            action: DENY
            rules: [{to: [{operation: {ports: [http]}}]}]
        """;
    assertThat(problems(yaml))
        .containsExactly(
            "workloads[1] (default/client): field addresses[0]: \"abc\" is not an IP address",
            "authorizationPolicies[0] (default/deny-sleep): field spec.rules[0].to[0].operation.ports[0]:"
                + " \"http\" is not a port number");
  }

  @Test
  void collectsEveryProblemOfTheDocument() {
    String yaml =
        """
        trustDomain: Bad_Domain
        extra: 1
        workloads:
        - name: Client
          namespace: default
          serviceAccount: 12
          addresses: []
          protocol: UDP
          lables: {app: x}
          waypoint: {address: 1.2.3.4, service: a/b}
        - just a string
        - {name: w, namespace: "ns_1", node: n, addresses: "127.0.0.1"}
        services:
        - name: s
          namespace: default
          ports: [{port: 0}, {port: "80"}, {targetPort: 9}]
          loadBalancing: RANDOM
          endpoints: 5
        authorizationPolicies:
        - metadata: {name: p, namespace: default, annotations: {istio.io/dry-run: "yes"}}
          spec:
            action: LOG
            selector: {matchLabels: {app: [x]}}
            rules:
            - from: [{source: {principals: "a", namespaces: [""]}}, {source: {}}]
              to: [{operation: {ports: ["70000"], hsts: [x]}}]
              when: [{key: request.foo, values: [x]}, {key: source.ip}, {key: destination.ip, values: [nope]}]
        - spec: {}
        """;
    List<String> problems = problems(yaml);
    assertThat(problems)
        .contains(
            "t: field trustDomain: trust domain may hold only a-z, 0-9, '.', '-', '_': \"Bad_Domain\"",
            "t: field extra: unknown field",
            "workloads[0] (default/Client): field lables: unknown field",
            "workloads[0] (default/Client): field serviceAccount: expected a string, got a number",
            "workloads[0] (default/Client): field node: is required",
            "workloads[0] (default/Client): field addresses: needs at least one IP address",
            "workloads[0] (default/Client): field protocol: \"UDP\" is not one of HBONE, TCP",
            "workloads[0] (default/Client): field waypoint: set either address or service, not both",
            "workloads[1]: field (document): expected a map, got a string",
            "workloads[2] (ns_1/w): field addresses: expected a list, got a string",
            "services[0] (default/s): field ports[0].port: 0 is not a port number (1-65535)",
            "services[0] (default/s): field ports[1].port: expected a number, got a string",
            "services[0] (default/s): field ports[2].port: is required",
            "services[0] (default/s): field loadBalancing: \"RANDOM\" is not one of ROUND_ROBIN,"
                + " LEAST_REQUESTS",
            "authorizationPolicies[0] (default/p): field metadata.annotations.istio.io/dry-run:"
                + " \"yes\" is not \"true\" or \"false\"",
            "authorizationPolicies[0] (default/p): field spec.action: \"LOG\" is not one of ALLOW,"
                + " DENY, AUDIT, CUSTOM",
            "authorizationPolicies[0] (default/p): field spec.selector.matchLabels.app: expected a"
                + " string, got a list (quote it)",
            "authorizationPolicies[0] (default/p): field spec.rules[0].from[0].source.principals:"
                + " expected a list, got a string",
            "authorizationPolicies[0] (default/p): field spec.rules[0].from[0].source.namespaces[0]:"
                + " must not be empty",
            "authorizationPolicies[0] (default/p): field spec.rules[0].from[1].source: must set at"
                + " least one non-empty field",
            "authorizationPolicies[0] (default/p): field spec.rules[0].to[0].operation.ports[0]:"
                + " \"70000\" is not a port number",
            "authorizationPolicies[0] (default/p): field spec.rules[0].to[0].operation.hsts: unknown"
                + " field",
            "authorizationPolicies[0] (default/p): field spec.rules[0].when[0].key: \"request.foo\""
                + " is not a known condition key",
            "authorizationPolicies[0] (default/p): field spec.rules[0].when[1].values: one of values"
                + " or notValues must be non-empty",
            "authorizationPolicies[0] (default/p): field spec.rules[0].when[2].values[0]: \"nope\" is"
                + " not an IP address or CIDR block",
            "authorizationPolicies[1]: field metadata: is required");
    assertThat(problems)
        .anySatisfy(p -> assertThat(p).startsWith("workloads[0] (default/Client): field name: "))
        .anySatisfy(p -> assertThat(p).startsWith("workloads[2] (ns_1/w): field namespace: "))
        .anySatisfy(p -> assertThat(p).startsWith("services[0] (default/s): field endpoints: "));
  }

  @Test
  void wrongTypesInPoliciesAreReportedOnceEach() {
    String yaml =
        """
        authorizationPolicies:
        - metadata: {name: p, namespace: default}
          spec:
            rules:
            - from: [{source: {principals: a, requestPrincipals: b}}]
              to: [{operation: {methods: GET}}]
              when: [{key: source.ip, values: 1.2.3.4}]
            - from: "x"
              to: [{operation: 5}]
              when: [7]
        """;
    assertThat(problems(yaml))
        .containsExactly(
            "authorizationPolicies[0] (default/p): field spec.rules[0].from[0].source.principals:"
                + " expected a list, got a string",
            "authorizationPolicies[0] (default/p): field"
                + " spec.rules[0].from[0].source.requestPrincipals: expected a list, got a string",
            "authorizationPolicies[0] (default/p): field spec.rules[0].to[0].operation.methods:"
                + " expected a list, got a string",
            "authorizationPolicies[0] (default/p): field spec.rules[0].when[0].values: expected a"
                + " list, got a string",
            "authorizationPolicies[0] (default/p): field spec.rules[1].from: expected a list, got a"
                + " string",
            "authorizationPolicies[0] (default/p): field spec.rules[1].to[0].operation: expected a"
                + " map, got a number",
            "authorizationPolicies[0] (default/p): field spec.rules[1].when[0]: expected a map, got"
                + " a number");
  }

  @Test
  void reportsDuplicatesAndDanglingReferences() {
    String yaml =
        """
        workloads:
        - {name: a, namespace: default, node: n, addresses: [127.0.1.1]}
        - {name: a, namespace: default, node: n, addresses: [127.0.1.2]}
        services:
        - {name: s, namespace: default, endpoints: [Kubernetes//Pod/default/zzz]}
        - {name: s, namespace: default}
        authorizationPolicies:
        - metadata: {name: p, namespace: default}
        - metadata: {name: p, namespace: default}
        """;
    assertThat(problems(yaml))
        .contains(
            "workloads[1] (default/a): field name: duplicate workload default/a (see workloads[0]"
                + " (default/a))",
            "services[0] (default/s): field endpoints[0]: unknown workload uid"
                + " \"Kubernetes//Pod/default/zzz\"",
            "authorizationPolicies[1] (default/p): field metadata.name: duplicate policy default/p"
                + " (see authorizationPolicies[0] (default/p))");
  }

  @Test
  void crossReferenceProblemsFromMeshStateAreReportedToo() {
    String yaml =
        """
        workloads:
        - {name: a, namespace: default, node: n, addresses: [127.0.1.1]}
        - {name: b, namespace: default, node: n, addresses: [127.0.1.1]}
        """;
    assertThat(problems(yaml)).singleElement().asString().contains("127.0.1.1");
  }

  @Test
  void rejectsBadYamlSafely() {
    assertThat(problems("a: [")).singleElement().asString().startsWith("t: invalid YAML: ");
    assertThat(problems("workloads: []\nworkloads: []"))
        .singleElement()
        .asString()
        .startsWith("t: invalid YAML: ")
        .contains("workloads");
    assertThat(problems(""))
        .containsExactly("t: document is empty (write `workloads: []` for an empty mesh)");
    assertThat(problems("- 1")).containsExactly("t: field (document): expected a map, got a list");
    assertThat(problems("!!java.lang.Object {}")).singleElement().asString().startsWith("t: ");
    StringBuilder bomb = new StringBuilder("a: &a [x, x, x, x, x, x, x, x, x]\n");
    for (char c = 'b'; c <= 'z'; c++) {
      char p = (char) (c - 1);
      bomb.append(c)
          .append(": &")
          .append(c)
          .append(" [*")
          .append(p)
          .append(", *")
          .append(p)
          .append(", *")
          .append(p)
          .append(", *")
          .append(p)
          .append("]\n");
    }
    assertThat(problems(bomb.toString()))
        .singleElement()
        .asString()
        .startsWith("t: invalid YAML: ");
    assertThat(problems("a: " + "[".repeat(5000) + "]".repeat(5000)))
        .singleElement()
        .asString()
        .startsWith("t: invalid YAML: ");
  }

  @Test
  void garbageNeverEscapesAsAnotherException() {
    String[] fragments = {
      "workloads:",
      "services:",
      "authorizationPolicies:",
      "- ",
      "  ",
      "name: x",
      "namespace: y",
      "{",
      "}",
      "[",
      "]",
      "metadata:",
      "spec:",
      "rules:",
      "from:",
      "source:",
      "principals:",
      "ports:",
      "addresses:",
      "1",
      "null",
      "~",
      "true",
      "\"s\"",
      ":",
      "\n",
      "waypoint:",
      "- {}",
      "key: x",
      "endpoints:",
      "when:",
      "to:",
      "operation:",
      "&a",
      "*a",
      "!!str",
      "? x",
    };
    Random random = new Random(42);
    for (int i = 0; i < 3000; i++) {
      StringBuilder yaml = new StringBuilder();
      int n = 1 + random.nextInt(25);
      for (int j = 0; j < n; j++) {
        yaml.append(fragments[random.nextInt(fragments.length)]);
        if (random.nextInt(3) == 0) {
          yaml.append('\n').append("  ".repeat(random.nextInt(4)));
        } else {
          yaml.append(' ');
        }
      }
      try {
        MeshConfigLoader.parse(yaml.toString(), "fuzz");
      } catch (InvalidMeshConfigException e) {
        assertThat(e.problems()).isNotEmpty().doesNotHaveDuplicates();
      }
    }
  }

  @Test
  void loadsFilesAndRejectsInvalidUtf8(@TempDir Path dir) throws Exception {
    Path good = dir.resolve("mesh.yaml");
    Files.writeString(good, EXAMPLE);
    assertThat(MeshConfigLoader.load(good).workloads()).hasSize(2);
    assertThat(MeshConfigLoader.loadState(good, 3).version()).isEqualTo(3);
    Path bad = dir.resolve("bad.yaml");
    Files.write(bad, new byte[] {'a', ':', ' ', (byte) 0xff});
    assertThatThrownBy(() -> MeshConfigLoader.load(bad))
        .isInstanceOf(InvalidMeshConfigException.class)
        .hasMessage(bad + ": document is not valid UTF-8");
    Files.write(good, "workloads: 3".getBytes(StandardCharsets.UTF_8));
    assertThatThrownBy(() -> MeshConfigLoader.load(good))
        .hasMessage(good + ": field workloads: expected a list, got a number");
  }

  private static String policy(String action, String rules) {
    return "authorizationPolicies:\n- metadata: {name: p, namespace: default}\n  spec:\n"
        + "    action: "
        + action
        + "\n    rules:\n"
        + rules.stripTrailing().indent(2);
  }

  private static List<String> problems(String yaml) {
    try {
      MeshConfigLoader.parse(yaml, "t");
    } catch (InvalidMeshConfigException e) {
      assertThat(e.problems()).as("each problem reported once").doesNotHaveDuplicates();
      return e.problems();
    }
    throw new AssertionError("expected the configuration to be rejected:\n" + yaml);
  }

  private static InetAddress ip(String s) {
    return dev.ambient.api.authz.IpLiteral.parse(s);
  }
}
