package dev.ambient.controller.waypoint.xds;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ambient.controller.waypoint.authz.L7Action;
import dev.ambient.controller.waypoint.authz.L7Operation;
import dev.ambient.controller.waypoint.authz.L7Policy;
import dev.ambient.controller.waypoint.authz.L7Rule;
import dev.ambient.controller.waypoint.authz.L7Source;
import io.envoyproxy.envoy.config.listener.v3.Filter;
import io.envoyproxy.envoy.config.rbac.v3.Permission;
import io.envoyproxy.envoy.config.rbac.v3.Principal;
import io.envoyproxy.envoy.config.rbac.v3.RBAC;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import java.util.List;
import org.junit.jupiter.api.Test;

class RbacFiltersTest {
  private static L7Source principals(String... p) {
    return new L7Source(
        List.of(p),
        List.of(),
        List.of(),
        List.of(),
        List.of(),
        List.of(),
        List.of(),
        List.of(),
        false);
  }

  private static L7Operation paths(String... p) {
    return new L7Operation(
        List.of(), List.of(), List.of(), List.of(), List.of(), List.of(), List.of(p), List.of());
  }

  private static RBAC http(HttpFilter f) throws Exception {
    return f.getTypedConfig()
        .unpack(io.envoyproxy.envoy.extensions.filters.http.rbac.v3.RBAC.class)
        .getRules();
  }

  private static RBAC network(Filter f) throws Exception {
    return f.getTypedConfig()
        .unpack(io.envoyproxy.envoy.extensions.filters.network.rbac.v3.RBAC.class)
        .getRules();
  }

  @Test
  void noPoliciesNoFilters() {
    assertThat(RbacFilters.http(List.of(), "s")).isEmpty();
    assertThat(RbacFilters.network(List.of(), "s")).isEmpty();
  }

  @Test
  void auditThenDenyThenAllowEachInItsOwnFilter() throws Exception {
    List<HttpFilter> filters =
        RbacFilters.http(
            List.of(
                new L7Policy("ns/allow", L7Action.ALLOW, List.of(L7Rule.any())),
                new L7Policy("ns/deny", L7Action.DENY, List.of(L7Rule.any())),
                new L7Policy("ns/audit", L7Action.AUDIT, List.of(L7Rule.any()))),
            "s");

    assertThat(filters).extracting(HttpFilter::getName).containsOnly("envoy.filters.http.rbac");
    assertThat(filters).hasSize(3);
    assertThat(http(filters.get(0)).getAction()).isEqualTo(RBAC.Action.LOG);
    assertThat(http(filters.get(1)).getAction()).isEqualTo(RBAC.Action.DENY);
    assertThat(http(filters.get(2)).getAction()).isEqualTo(RBAC.Action.ALLOW);
    assertThat(http(filters.get(1)).getPoliciesMap()).containsOnlyKeys("ns/deny[rule 0]");
  }

  @Test
  void principalsMatchThePeerSpiffeIdInFilterState() throws Exception {
    L7Rule rule =
        new L7Rule(
            List.of(principals("td/ns/a/sa/b", "td/ns/x/*", "*/sa/y", "*")), List.of(), List.of());
    RBAC rbac =
        http(
            RbacFilters.http(List.of(new L7Policy("p", L7Action.ALLOW, List.of(rule))), "s")
                .get(0));

    Principal or = rbac.getPoliciesMap().get("p[rule 0]").getPrincipals(0);
    List<Principal> ids = or.getOrIds().getIdsList();
    assertThat(ids).allMatch(id -> id.getFilterState().getKey().equals("wp.peer_principal"));
    assertThat(ids.get(0).getFilterState().getStringMatch().getExact())
        .isEqualTo("spiffe://td/ns/a/sa/b");
    assertThat(ids.get(1).getFilterState().getStringMatch().getPrefix())
        .isEqualTo("spiffe://td/ns/x/");
    assertThat(ids.get(2).getFilterState().getStringMatch().getSuffix()).isEqualTo("/sa/y");
    assertThat(ids.get(3).getFilterState().getStringMatch().getPrefix()).isEqualTo("spiffe://");
    assertThat(rbac.toString()).as("no TLS-property matchers").doesNotContain("authenticated");
  }

  @Test
  void anAllowWithoutRulesAdmitsNothing() throws Exception {
    RBAC rbac = http(RbacFilters.http(List.of(L7Policy.allowNothing("ns/broken")), "s").get(0));
    assertThat(rbac.getAction()).isEqualTo(RBAC.Action.ALLOW);
    assertThat(rbac.getPoliciesMap()).as("Envoy denies when no ALLOW policy matches").isEmpty();
  }

  @Test
  void requestPrincipalsNeverMatch() throws Exception {
    L7Source jwt =
        new L7Source(
            List.of(), List.of(), List.of(), List.of(), List.of(), List.of(), List.of(), List.of(),
            true);
    L7Policy p =
        new L7Policy("p", L7Action.ALLOW, List.of(new L7Rule(List.of(jwt), List.of(), List.of())));
    RBAC rbac = http(RbacFilters.http(List.of(p), "s").get(0));
    assertThat(rbac.getPoliciesMap().get("p[rule 0]").getPrincipals(0).getNotId().getAny())
        .isTrue();
  }

  @Test
  void tcpChainsKeepTheL4PartOnly() throws Exception {
    L7Rule byPath =
        new L7Rule(List.of(principals("td/ns/a/sa/b")), List.of(paths("/admin")), List.of());
    List<Filter> filters =
        RbacFilters.network(
            List.of(
                new L7Policy("ns/allow", L7Action.ALLOW, List.of(byPath)),
                new L7Policy("ns/deny", L7Action.DENY, List.of(byPath))),
            "s");

    assertThat(filters).extracting(Filter::getName).containsOnly("envoy.filters.network.rbac");
    RBAC deny = network(filters.get(0));
    RBAC allow = network(filters.get(1));
    assertThat(allow.getPoliciesMap()).as("an ALLOW rule needing HTTP never matches").isEmpty();
    Permission denied = deny.getPoliciesMap().get("ns/deny[rule 0]").getPermissions(0);
    assertThat(denied.getAny()).as("the DENY rule loses its path: it denies more").isTrue();
    assertThat(deny.getPoliciesMap().get("ns/deny[rule 0]").getPrincipals(0).hasFilterState())
        .as("and keeps its source")
        .isTrue();
  }

  @Test
  void userTextIsLiteralInRegexes() {
    assertThat(RbacFilters.quote("a.b*c(d)")).isEqualTo("a\\.b\\*c\\(d\\)");
  }
}
