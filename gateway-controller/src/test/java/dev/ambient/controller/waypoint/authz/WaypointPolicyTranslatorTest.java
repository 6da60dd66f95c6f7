package dev.ambient.controller.waypoint.authz;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class WaypointPolicyTranslatorTest {
  private static final KubernetesSerialization YAML = new KubernetesSerialization();
  private static final String ECHO = "apps/echo.apps.svc.cluster.local";

  private static GenericKubernetesResource policy(String yaml) {
    return YAML.unmarshal(
        "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\n" + yaml,
        GenericKubernetesResource.class);
  }

  private static WaypointPolicies translate(GenericKubernetesResource... policies) {
    return WaypointPolicyTranslator.translate(
        List.of(policies), "apps", "waypoint", WaypointPolicyTranslator.Settings.DEFAULT);
  }

  private static String meta(String ns, String name) {
    return "metadata: {namespace: " + ns + ", name: " + name + "}\n";
  }

  @Test
  void attachesByTargetRefsToTheGatewayOrAServiceOnly() {
    WaypointPolicies p =
        translate(
            policy(
                meta("apps", "to-gateway")
                    + "spec:\n  targetRefs: [{group: gateway.networking.k8s.io, kind: Gateway,"
                    + " name: waypoint}]\n  action: DENY\n  rules: [{}]"),
            policy(
                meta("apps", "to-service")
                    + "spec:\n  targetRefs: [{kind: Service, group: '', name: echo}]\n"
                    + "  rules: [{from: [{source: {namespaces: [apps]}}]}]"),
            policy(
                meta("apps", "other-gateway")
                    + "spec:\n  targetRefs: [{group: gateway.networking.k8s.io, kind: Gateway,"
                    + " name: other}]\n  action: DENY"),
            policy(
                meta("elsewhere", "same-name-other-namespace")
                    + "spec:\n  targetRefs: [{group: gateway.networking.k8s.io, kind: Gateway,"
                    + " name: waypoint}]\n  action: DENY"),
            policy(
                meta("istio-system", "all-waypoints")
                    + "spec:\n  targetRefs: [{group: gateway.networking.k8s.io, kind:"
                    + " GatewayClass, name: istio-waypoint}]\n  action: AUDIT\n  rules: [{}]"),
            policy(meta("apps", "selector") + "spec:\n  selector: {matchLabels: {app: echo}}"));

    assertThat(p.problems()).isEmpty();
    assertThat(p.waypoint())
        .extracting(L7Policy::name, L7Policy::action)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple("apps/to-gateway", L7Action.DENY),
            org.assertj.core.groups.Tuple.tuple("istio-system/all-waypoints", L7Action.AUDIT));
    assertThat(p.byService()).containsOnlyKeys(ECHO);
    assertThat(p.forService(ECHO))
        .extracting(L7Policy::name)
        .containsExactly("apps/to-gateway", "istio-system/all-waypoints", "apps/to-service");
    assertThat(p.forService("apps/other.apps.svc.cluster.local")).hasSize(2);
  }

  @Test
  void aGatewayClassTargetAppliesToTheWaypointsOfThatClassOnly() {
    GenericKubernetesResource ours =
        policy(
            meta("istio-system", "ambient-waypoints")
                + "spec:\n  targetRefs: [{group: gateway.networking.k8s.io, kind:"
                + " GatewayClass, name: ambient-waypoint}]\n  action: DENY\n  rules: [{}]");

    WaypointPolicies ofOurClass =
        WaypointPolicyTranslator.translate(
            List.of(ours),
            "apps",
            "waypoint",
            "ambient-waypoint",
            WaypointPolicyTranslator.Settings.DEFAULT);
    WaypointPolicies ofIstioClass =
        WaypointPolicyTranslator.translate(
            List.of(ours),
            "apps",
            "waypoint",
            "istio-waypoint",
            WaypointPolicyTranslator.Settings.DEFAULT);

    assertThat(ofOurClass.waypoint())
        .extracting(L7Policy::name)
        .containsExactly("istio-system/ambient-waypoints");
    assertThat(ofIstioClass.waypoint()).isEmpty();
  }

  @Test
  void readsSourcesOperationsAndConditionsWithNotForms() {
    WaypointPolicies p =
        translate(
            policy(
                meta("apps", "rich")
                    + """
                    spec:
                      targetRef: {group: gateway.networking.k8s.io, kind: Gateway, name: waypoint}
                      action: ALLOW
                      rules:
                      - from:
                        - source:
                            principals: ["spiffe://cluster.local/ns/apps/sa/client", "cluster.local/ns/x/*"]
                            notPrincipals: ["*/sa/evil"]
                            namespaces: [apps, "team-*"]
                            notNamespaces: ["*-test"]
                            ipBlocks: [10.0.0.0/8]
                        to:
                        - operation:
                            hosts: [Echo.Apps]
                            ports: ["8080", 9090]
                            methods: [GET]
                            notPaths: ["/admin*"]
                        when:
                        - key: request.headers[X-Tenant]
                          values: [blue]
                          notValues: ["*-test"]
                        - key: destination.port
                          values: ["80"]
                    """));

    assertThat(p.problems()).isEmpty();
    L7Rule rule = p.waypoint().get(0).rules().get(0);
    L7Source s = rule.from().get(0);
    assertThat(s.principals())
        .as("spiffe:// removed: Istio's form")
        .containsExactly("cluster.local/ns/apps/sa/client", "cluster.local/ns/x/*");
    assertThat(s.notPrincipals()).containsExactly("*/sa/evil");
    assertThat(s.namespaces()).containsExactly("apps", "team-*");
    assertThat(s.notNamespaces()).containsExactly("*-test");
    assertThat(s.ipBlocks()).containsExactly("10.0.0.0/8");
    L7Operation o = rule.to().get(0);
    assertThat(o.hosts()).as("hosts compare case-insensitively").containsExactly("echo.apps");
    assertThat(o.ports()).containsExactly(8080, 9090);
    assertThat(o.methods()).containsExactly("GET");
    assertThat(o.notPaths()).containsExactly("/admin*");
    assertThat(rule.when())
        .containsExactly(
            new L7Condition(
                L7Condition.Key.REQUEST_HEADER, "x-tenant", List.of("blue"), List.of("*-test")),
            new L7Condition(L7Condition.Key.DESTINATION_PORT, null, List.of("80"), List.of()));
  }

  @Test
  void requestPrincipalsNeverMatchWithoutAJwtFilter() {
    WaypointPolicies p =
        translate(
            policy(
                meta("apps", "jwt")
                    + "spec:\n  targetRefs: [{kind: Service, name: echo}]\n"
                    + "  rules: [{from: [{source: {requestPrincipals: ['*']}}],"
                    + " when: [{key: 'request.auth.claims[iss]', values: [me]}]}]"));

    assertThat(p.problems()).isEmpty();
    L7Rule rule = p.forService(ECHO).get(0).rules().get(0);
    assertThat(rule.from().get(0).requestPrincipals()).isTrue();
    assertThat(rule.when().get(0).key()).isEqualTo(L7Condition.Key.REQUEST_AUTH);
    assertThat(rule.hasL7Fields()).isTrue();
  }

  @Test
  void anInvalidDenyPolicyDeniesEverythingOfItsTarget() {
    WaypointPolicies p =
        translate(
            policy(
                meta("apps", "bad-deny")
                    + "spec:\n  targetRefs: [{kind: Service, name: echo}]\n  action: DENY\n"
                    + "  rules: [{to: [{operation: {ports: ['99999'], paths: ['/admin']}}]}]"));

    assertThat(p.forService(ECHO)).containsExactly(L7Policy.denyAll("apps/bad-deny"));
    assertThat(p.problems())
        .anyMatch(
            m ->
                m.startsWith(
                    "AuthorizationPolicy apps/bad-deny: spec.rules[0].to[0].operation.ports[0]:"))
        .anyMatch(m -> m.contains("fail closed"));
  }

  @Test
  void anInvalidAllowPolicyAdmitsNothingButKeepsItsTargetInAllowMode() {
    WaypointPolicies p =
        translate(
            policy(
                meta("apps", "bad-allow")
                    + "spec:\n  targetRefs: [{kind: Service, name: echo}]\n"
                    + "  rules: [{from: [{source: {namespaces: ['not.a.label']}}]}]"));

    assertThat(p.forService(ECHO)).containsExactly(L7Policy.allowNothing("apps/bad-allow"));
    assertThat(p.problems())
        .anyMatch(
            m ->
                m.startsWith(
                    "AuthorizationPolicy apps/bad-allow:"
                        + " spec.rules[0].from[0].source.namespaces[0]:"));
  }

  @Test
  void customAndUnknownActionsFailClosedAndAnInvalidAuditIsLeftOut() {
    WaypointPolicies p =
        translate(
            policy(
                meta("apps", "custom")
                    + "spec:\n  targetRefs: [{kind: Service, name: echo}]\n  action: CUSTOM\n"
                    + "  provider: {name: ext}\n  rules: [{to: [{operation: {paths: [/x]}}]}]"),
            policy(
                meta("apps", "typo")
                    + "spec:\n  targetRefs: [{kind: Service, name: echo}]\n  action: DENNY"),
            policy(
                meta("apps", "audit")
                    + "spec:\n  targetRefs: [{kind: Service, name: echo}]\n  action: AUDIT\n"
                    + "  rules: [{when: [{key: nope, values: [x]}]}]"));

    assertThat(p.forService(ECHO))
        .containsExactly(L7Policy.denyAll("apps/custom"), L7Policy.denyAll("apps/typo"));
    assertThat(p.problems())
        .anyMatch(m -> m.startsWith("AuthorizationPolicy apps/custom: spec.action: CUSTOM"))
        .anyMatch(m -> m.startsWith("AuthorizationPolicy apps/typo: spec.action: \"DENNY\""))
        .anyMatch(m -> m.startsWith("AuthorizationPolicy apps/audit: spec.rules[0].when[0].key"))
        .anyMatch(
            m -> m.equals("AuthorizationPolicy apps/audit: spec: invalid AUDIT policy: left out"));
  }

  @Test
  void dryRunPoliciesAndUnknownTargetsAreNotEnforced() {
    WaypointPolicies p =
        translate(
            policy(
                "metadata: {namespace: apps, name: dry, annotations: {istio.io/dry-run: 'true'}}\n"
                    + "spec:\n  targetRefs: [{kind: Service, name: echo}]\n  action: DENY"),
            policy(
                meta("apps", "weird-target")
                    + "spec:\n  targetRefs: [{kind: ConfigMap, name: x}, {kind: Service, name: echo}]\n"
                    + "  action: DENY\n  rules: [{to: [{operation: {methods: [DELETE]}}]}]"));

    assertThat(p.notes()).anyMatch(n -> n.contains("apps/dry") && n.contains("dry-run"));
    assertThat(p.problems())
        .anyMatch(m -> m.startsWith("AuthorizationPolicy apps/weird-target: spec.targetRefs[0]:"));
    List<String> names = new ArrayList<>();
    p.forService(ECHO).forEach(x -> names.add(x.name()));
    assertThat(names)
        .as("the valid target of a policy with a broken one still gets its fail-closed form")
        .containsExactly("apps/weird-target");
    assertThat(p.forService(ECHO).get(0).action()).isEqualTo(L7Action.DENY);
  }
}
