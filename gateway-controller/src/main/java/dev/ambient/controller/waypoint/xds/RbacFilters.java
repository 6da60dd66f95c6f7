package dev.ambient.controller.waypoint.xds;

import com.google.protobuf.UInt32Value;
import dev.ambient.api.authz.Cidr;
import dev.ambient.controller.waypoint.authz.L7Action;
import dev.ambient.controller.waypoint.authz.L7Condition;
import dev.ambient.controller.waypoint.authz.L7Operation;
import dev.ambient.controller.waypoint.authz.L7Policy;
import dev.ambient.controller.waypoint.authz.L7Rule;
import dev.ambient.controller.waypoint.authz.L7Source;
import io.envoyproxy.envoy.config.core.v3.CidrRange;
import io.envoyproxy.envoy.config.listener.v3.Filter;
import io.envoyproxy.envoy.config.rbac.v3.Permission;
import io.envoyproxy.envoy.config.rbac.v3.Policy;
import io.envoyproxy.envoy.config.rbac.v3.Principal;
import io.envoyproxy.envoy.config.rbac.v3.RBAC;
import io.envoyproxy.envoy.config.route.v3.HeaderMatcher;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import io.envoyproxy.envoy.type.matcher.v3.FilterStateMatcher;
import io.envoyproxy.envoy.type.matcher.v3.PathMatcher;
import io.envoyproxy.envoy.type.matcher.v3.RegexMatcher;
import io.envoyproxy.envoy.type.matcher.v3.StringMatcher;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * L7 policies to Envoy RBAC filters for one service chain of {@code main_internal}, in Istio's
 * order: AUDIT (action LOG, never denies), DENY, then ALLOW (present only when an ALLOW policy
 * applies; with no matching ALLOW policy the request is denied, and an ALLOW filter with no
 * policies denies everything). A denied HTTP request gets Envoy's 403 {@code RBAC: access denied}.
 *
 * <p>The source identity is the filter state {@code wp.peer_principal} that {@code
 * connect_terminate} set from the verified HBONE client certificate ({@code spiffe://...}): the
 * internal listener has no TLS, so TLS-property matchers would see nothing. Namespaces are matched
 * with a regex over that SPIFFE ID whose literal parts are validated DNS labels.
 *
 * <p>TCP chains get the network RBAC filter with what L4 can see, Istio's rule for TCP: an ALLOW
 * rule that needs HTTP attributes never matches (it is left out), a DENY or AUDIT rule loses its
 * HTTP parts (so it denies more, never less).
 */
final class RbacFilters {
  private RbacFilters() {}

  static List<HttpFilter> http(List<L7Policy> policies, String statPrefix) {
    List<HttpFilter> out = new ArrayList<>();
    byAction(policies, false)
        .forEach(
            (action, rules) ->
                out.add(
                    HttpFilter.newBuilder()
                        .setName("envoy.filters.http.rbac")
                        .setTypedConfig(
                            Protos.any(
                                io.envoyproxy
                                    .envoy
                                    .extensions
                                    .filters
                                    .http
                                    .rbac
                                    .v3
                                    .RBAC
                                    .newBuilder()
                                    .setRules(rules)
                                    .setRulesStatPrefix(stat(statPrefix, action))
                                    .build()))
                        .build()));
    return out;
  }

  static List<Filter> network(List<L7Policy> policies, String statPrefix) {
    List<Filter> out = new ArrayList<>();
    byAction(policies, true)
        .forEach(
            (action, rules) ->
                out.add(
                    Filter.newBuilder()
                        .setName("envoy.filters.network.rbac")
                        .setTypedConfig(
                            Protos.any(
                                io.envoyproxy
                                    .envoy
                                    .extensions
                                    .filters
                                    .network
                                    .rbac
                                    .v3
                                    .RBAC
                                    .newBuilder()
                                    .setRules(rules)
                                    .setStatPrefix(stat(statPrefix, action))
                                    .build()))
                        .build()));
    return out;
  }

  /** The RBAC of every action some policy has, in Istio's order (AUDIT, DENY, ALLOW). */
  private static Map<L7Action, RBAC> byAction(List<L7Policy> policies, boolean l4) {
    Map<L7Action, RBAC> out = new LinkedHashMap<>();
    for (L7Action action : List.of(L7Action.AUDIT, L7Action.DENY, L7Action.ALLOW)) {
      RBAC rules = rules(policies, action, l4);
      if (rules != null) {
        out.put(action, rules);
      }
    }
    return out;
  }

  private static String stat(String statPrefix, L7Action action) {
    return statPrefix + "." + action.name().toLowerCase();
  }

  /** The RBAC of one action, or null when no policy has that action. */
  private static RBAC rules(List<L7Policy> policies, L7Action action, boolean l4) {
    Map<String, Policy> out = new LinkedHashMap<>();
    boolean any = false;
    for (L7Policy p : policies) {
      if (p.action() != action) {
        continue;
      }
      any = true;
      for (int i = 0; i < p.rules().size(); i++) {
        L7Rule rule = p.rules().get(i);
        if (l4 && rule.hasL7Fields()) {
          if (action == L7Action.ALLOW) {
            continue; // needs HTTP: never matches at L4
          }
          rule = withoutL7(rule);
        }
        String key = p.name() + "[rule " + i + "]";
        while (out.containsKey(key)) {
          key = key + "'";
        }
        out.put(key, policy(rule));
      }
    }
    if (!any) {
      return null;
    }
    RBAC.Action a =
        switch (action) {
          case ALLOW -> RBAC.Action.ALLOW;
          case DENY -> RBAC.Action.DENY;
          case AUDIT -> RBAC.Action.LOG;
        };
    return RBAC.newBuilder().setAction(a).putAllPolicies(out).build();
  }

  /** The L4 part of a DENY/AUDIT rule: HTTP fields and conditions dropped. */
  private static L7Rule withoutL7(L7Rule rule) {
    List<L7Source> from = new ArrayList<>();
    for (L7Source s : rule.from()) {
      from.add(
          new L7Source(
              s.principals(),
              s.notPrincipals(),
              s.namespaces(),
              s.notNamespaces(),
              s.ipBlocks(),
              s.notIpBlocks(),
              s.remoteIpBlocks(),
              s.notRemoteIpBlocks(),
              false));
    }
    List<L7Operation> to = new ArrayList<>();
    for (L7Operation o : rule.to()) {
      to.add(
          new L7Operation(
              List.of(),
              List.of(),
              o.ports(),
              o.notPorts(),
              List.of(),
              List.of(),
              List.of(),
              List.of()));
    }
    List<L7Condition> when = new ArrayList<>();
    for (L7Condition c : rule.when()) {
      if (!c.isL7()) {
        when.add(c);
      }
    }
    return new L7Rule(from, to, when);
  }

  private static Policy policy(L7Rule rule) {
    List<Principal> principals = new ArrayList<>();
    List<Permission> permissions = new ArrayList<>();
    if (!rule.from().isEmpty()) {
      List<Principal> sources = new ArrayList<>();
      for (L7Source s : rule.from()) {
        sources.add(source(s));
      }
      principals.add(orIds(sources));
    }
    if (!rule.to().isEmpty()) {
      List<Permission> operations = new ArrayList<>();
      for (L7Operation o : rule.to()) {
        operations.add(operation(o));
      }
      permissions.add(orRules(operations));
    }
    for (L7Condition c : rule.when()) {
      condition(c, principals, permissions);
    }
    return Policy.newBuilder()
        .addPermissions(andRules(permissions))
        .addPrincipals(andIds(principals))
        .build();
  }

  private static Principal source(L7Source s) {
    List<Principal> all = new ArrayList<>();
    valuesAndNot(all, principalMatches(s.principals()), principalMatches(s.notPrincipals()));
    valuesAndNot(all, namespaceMatches(s.namespaces()), namespaceMatches(s.notNamespaces()));
    valuesAndNot(all, ips(s.ipBlocks(), false), ips(s.notIpBlocks(), false));
    valuesAndNot(all, ips(s.remoteIpBlocks(), true), ips(s.notRemoteIpBlocks(), true));
    if (s.requestPrincipals()) {
      all.add(never());
    }
    return andIds(all);
  }

  private static Permission operation(L7Operation o) {
    List<Permission> all = new ArrayList<>();
    permValuesAndNot(all, hostMatches(o.hosts()), hostMatches(o.notHosts()));
    permValuesAndNot(all, portMatches(o.ports()), portMatches(o.notPorts()));
    permValuesAndNot(
        all, headerMatches(":method", o.methods()), headerMatches(":method", o.notMethods()));
    permValuesAndNot(all, pathMatches(o.paths()), pathMatches(o.notPaths()));
    return andRules(all);
  }

  private static void condition(
      L7Condition c, List<Principal> principals, List<Permission> permissions) {
    switch (c.key()) {
      case REQUEST_HEADER ->
          permValuesAndNot(
              permissions,
              headerMatches(c.header(), c.values()),
              headerMatches(c.header(), c.notValues()));
      case SOURCE_PRINCIPAL ->
          valuesAndNot(principals, principalMatches(c.values()), principalMatches(c.notValues()));
      case SOURCE_NAMESPACE ->
          valuesAndNot(principals, namespaceMatches(c.values()), namespaceMatches(c.notValues()));
      case SOURCE_IP -> valuesAndNot(principals, ips(c.values(), false), ips(c.notValues(), false));
      case REMOTE_IP -> valuesAndNot(principals, ips(c.values(), true), ips(c.notValues(), true));
      case DESTINATION_IP ->
          permValuesAndNot(permissions, destinationIps(c.values()), destinationIps(c.notValues()));
      case DESTINATION_PORT ->
          permValuesAndNot(
              permissions,
              portMatches(c.values().stream().map(Integer::valueOf).toList()),
              portMatches(c.notValues().stream().map(Integer::valueOf).toList()));
      case REQUEST_AUTH -> {
        // Always absent (no JWT filter): values never match, notValues always hold.
        if (!c.values().isEmpty()) {
          principals.add(never());
        }
      }
    }
  }

  private static void valuesAndNot(
      List<Principal> into, List<Principal> any, List<Principal> none) {
    if (!any.isEmpty()) {
      into.add(orIds(any));
    }
    if (!none.isEmpty()) {
      into.add(Principal.newBuilder().setNotId(orIds(none)).build());
    }
  }

  private static void permValuesAndNot(
      List<Permission> into, List<Permission> any, List<Permission> none) {
    if (!any.isEmpty()) {
      into.add(orRules(any));
    }
    if (!none.isEmpty()) {
      into.add(Permission.newBuilder().setNotRule(orRules(none)).build());
    }
  }

  /** Istio principals (no scheme) against the peer's SPIFFE ID in filter state. */
  private static List<Principal> principalMatches(List<String> patterns) {
    List<Principal> out = new ArrayList<>();
    for (String p : patterns) {
      StringMatcher m;
      if (p.equals("*")) {
        m = StringMatcher.newBuilder().setPrefix("spiffe://").build();
      } else if (p.endsWith("*")) {
        m =
            StringMatcher.newBuilder()
                .setPrefix("spiffe://" + p.substring(0, p.length() - 1))
                .build();
      } else if (p.startsWith("*")) {
        m = StringMatcher.newBuilder().setSuffix(p.substring(1)).build();
      } else {
        m = StringMatcher.newBuilder().setExact("spiffe://" + p).build();
      }
      out.add(peer(m));
    }
    return out;
  }

  /** Namespace patterns; their literal parts are validated {@code [a-z0-9-]}, safe in a regex. */
  private static List<Principal> namespaceMatches(List<String> patterns) {
    List<Principal> out = new ArrayList<>();
    for (String p : patterns) {
      String ns;
      if (p.equals("*")) {
        ns = "[^/]+";
      } else if (p.endsWith("*")) {
        ns = p.substring(0, p.length() - 1) + "[^/]*";
      } else if (p.startsWith("*")) {
        ns = "[^/]*" + p.substring(1);
      } else {
        ns = p;
      }
      out.add(peer(regex("spiffe://[^/]+/ns/" + ns + "/sa/[^/]+")));
    }
    return out;
  }

  private static Principal peer(StringMatcher m) {
    return Principal.newBuilder()
        .setFilterState(
            FilterStateMatcher.newBuilder().setKey(XdsNames.PEER_PRINCIPAL).setStringMatch(m))
        .build();
  }

  private static List<Principal> ips(List<String> cidrs, boolean remote) {
    List<Principal> out = new ArrayList<>();
    for (String c : cidrs) {
      CidrRange r = cidr(c);
      out.add(
          remote
              ? Principal.newBuilder().setRemoteIp(r).build()
              : Principal.newBuilder().setDirectRemoteIp(r).build());
    }
    return out;
  }

  private static List<Permission> destinationIps(List<String> cidrs) {
    List<Permission> out = new ArrayList<>();
    for (String c : cidrs) {
      out.add(Permission.newBuilder().setDestinationIp(cidr(c)).build());
    }
    return out;
  }

  private static CidrRange cidr(String text) {
    Cidr c = Cidr.parse(text);
    return CidrRange.newBuilder()
        .setAddressPrefix(c.address().getHostAddress())
        .setPrefixLen(UInt32Value.of(c.prefixLength()))
        .build();
  }

  private static List<Permission> portMatches(List<Integer> ports) {
    List<Permission> out = new ArrayList<>();
    for (int p : ports) {
      out.add(Permission.newBuilder().setDestinationPort(p).build());
    }
    return out;
  }

  /**
   * Hosts against the authority, case-insensitive, with or without a port (Istio's host matching).
   */
  private static List<Permission> hostMatches(List<String> patterns) {
    List<Permission> out = new ArrayList<>();
    for (String p : patterns) {
      String re;
      if (p.equals("*")) {
        out.add(header(":authority", null));
        continue;
      } else if (p.endsWith("*")) {
        re = "(?i)" + quote(p.substring(0, p.length() - 1)) + ".*";
      } else if (p.startsWith("*")) {
        re = "(?i).*" + quote(p.substring(1)) + "(:[0-9]+)?";
      } else {
        re = "(?i)" + quote(p) + "(:[0-9]+)?";
      }
      out.add(header(":authority", regex(re)));
    }
    return out;
  }

  private static List<Permission> headerMatches(String name, List<String> patterns) {
    List<Permission> out = new ArrayList<>();
    for (String p : patterns) {
      out.add(header(name, p.equals("*") ? null : istio(p)));
    }
    return out;
  }

  private static List<Permission> pathMatches(List<String> patterns) {
    List<Permission> out = new ArrayList<>();
    for (String p : patterns) {
      StringMatcher m = p.equals("*") ? regex(".+") : istio(p);
      out.add(Permission.newBuilder().setUrlPath(PathMatcher.newBuilder().setPath(m)).build());
    }
    return out;
  }

  /** A header matcher; a null matcher means "present". */
  private static Permission header(String name, StringMatcher m) {
    HeaderMatcher.Builder h = HeaderMatcher.newBuilder().setName(name);
    if (m == null) {
      h.setPresentMatch(true);
    } else {
      h.setStringMatch(m);
    }
    return Permission.newBuilder().setHeader(h).build();
  }

  /**
   * Istio's {@code x*} / {@code *x} / exact (the {@code *} presence form is handled by callers).
   */
  private static StringMatcher istio(String p) {
    if (p.length() > 1 && p.endsWith("*")) {
      return StringMatcher.newBuilder().setPrefix(p.substring(0, p.length() - 1)).build();
    }
    if (p.length() > 1 && p.startsWith("*")) {
      return StringMatcher.newBuilder().setSuffix(p.substring(1)).build();
    }
    return StringMatcher.newBuilder().setExact(p).build();
  }

  private static StringMatcher regex(String re) {
    return StringMatcher.newBuilder().setSafeRegex(RegexMatcher.newBuilder().setRegex(re)).build();
  }

  /** Escapes every ASCII punctuation character, so user text is literal in RE2. */
  static String quote(String s) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c < 0x80 && !Character.isLetterOrDigit(c)) {
        b.append('\\');
      }
      b.append(c);
    }
    return b.toString();
  }

  private static Principal never() {
    return Principal.newBuilder().setNotId(Principal.newBuilder().setAny(true)).build();
  }

  private static Principal orIds(List<Principal> ids) {
    return ids.size() == 1
        ? ids.get(0)
        : Principal.newBuilder().setOrIds(Principal.Set.newBuilder().addAllIds(ids)).build();
  }

  private static Principal andIds(List<Principal> ids) {
    if (ids.isEmpty()) {
      return Principal.newBuilder().setAny(true).build();
    }
    return ids.size() == 1
        ? ids.get(0)
        : Principal.newBuilder().setAndIds(Principal.Set.newBuilder().addAllIds(ids)).build();
  }

  private static Permission orRules(List<Permission> rules) {
    return rules.size() == 1
        ? rules.get(0)
        : Permission.newBuilder()
            .setOrRules(Permission.Set.newBuilder().addAllRules(rules))
            .build();
  }

  private static Permission andRules(List<Permission> rules) {
    if (rules.isEmpty()) {
      return Permission.newBuilder().setAny(true).build();
    }
    return rules.size() == 1
        ? rules.get(0)
        : Permission.newBuilder()
            .setAndRules(Permission.Set.newBuilder().addAllRules(rules))
            .build();
  }
}
