package dev.ambient.api.wds;

import com.google.protobuf.ByteString;
import com.google.protobuf.Empty;
import dev.ambient.api.authz.AuthorizationPolicy;
import dev.ambient.api.authz.Cidr;
import dev.ambient.api.authz.Clause;
import dev.ambient.api.authz.Match;
import dev.ambient.api.authz.Rule;
import dev.ambient.api.authz.StringMatch;
import dev.ambient.api.security.v1.Action;
import dev.ambient.api.security.v1.Address;
import dev.ambient.api.security.v1.Authorization;
import dev.ambient.api.security.v1.Group;
import dev.ambient.api.security.v1.Rules;
import dev.ambient.api.security.v1.Scope;
import dev.ambient.api.security.v1.ServiceAccountMatch;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * {@link AuthorizationPolicy} to and from {@code istio.security.Authorization}. The selector is not
 * part of the message (Istio lists selected policies on each workload instead); the caller passes
 * the selector to use when decoding.
 */
final class AuthorizationConversion {
  private AuthorizationConversion() {}

  static Authorization toProto(AuthorizationPolicy policy) {
    Authorization.Builder out =
        Authorization.newBuilder()
            .setName(policy.name())
            .setNamespace(policy.namespace())
            .setScope(
                switch (policy.scope()) {
                  case GLOBAL -> Scope.GLOBAL;
                  case NAMESPACE -> Scope.NAMESPACE;
                  case WORKLOAD_SELECTOR -> Scope.WORKLOAD_SELECTOR;
                })
            .setAction(
                policy.action() == AuthorizationPolicy.Action.ALLOW ? Action.ALLOW : Action.DENY)
            .setDryRun(policy.dryRun());
    for (Rule rule : policy.rules()) {
      Group.Builder group = Group.newBuilder();
      for (Clause clause : rule.clauses()) {
        Rules.Builder rules = Rules.newBuilder();
        for (Match match : clause.matches()) {
          rules.addMatches(toProto(match));
        }
        group.addRules(rules);
      }
      out.addGroups(group);
    }
    return out.build();
  }

  private static dev.ambient.api.security.v1.Match toProto(Match m) {
    dev.ambient.api.security.v1.Match.Builder out = dev.ambient.api.security.v1.Match.newBuilder();
    m.namespaces().forEach(s -> out.addNamespaces(toProto(s)));
    m.notNamespaces().forEach(s -> out.addNotNamespaces(toProto(s)));
    m.principals().forEach(s -> out.addPrincipals(toProto(s)));
    m.notPrincipals().forEach(s -> out.addNotPrincipals(toProto(s)));
    m.sourceIps().forEach(c -> out.addSourceIps(toProto(c)));
    m.notSourceIps().forEach(c -> out.addNotSourceIps(toProto(c)));
    m.destinationIps().forEach(c -> out.addDestinationIps(toProto(c)));
    m.notDestinationIps().forEach(c -> out.addNotDestinationIps(toProto(c)));
    out.addAllDestinationPorts(m.destinationPorts());
    out.addAllNotDestinationPorts(m.notDestinationPorts());
    return out.build();
  }

  private static dev.ambient.api.security.v1.StringMatch toProto(StringMatch s) {
    dev.ambient.api.security.v1.StringMatch.Builder out =
        dev.ambient.api.security.v1.StringMatch.newBuilder();
    if (s instanceof StringMatch.Exact e) {
      out.setExact(e.value());
    } else if (s instanceof StringMatch.Prefix p) {
      out.setPrefix(p.prefix());
    } else if (s instanceof StringMatch.Suffix x) {
      out.setSuffix(x.suffix());
    } else {
      out.setPresence(Empty.getDefaultInstance());
    }
    return out.build();
  }

  private static Address toProto(Cidr cidr) {
    return Address.newBuilder()
        .setAddress(IpBytes.of(cidr.address()))
        .setLength(cidr.prefixLength())
        .build();
  }

  /** Decodes one policy, or returns null after recording every problem found in it. */
  static AuthorizationPolicy fromProto(
      Authorization proto, Map<String, String> selector, Problems problems, String resource) {
    int before = problems.size();
    String error = Names.checkPolicyName(proto.getName());
    if (error != null) {
      problems.add(resource, "name", error);
    }
    error = Names.checkDnsLabel(proto.getNamespace());
    if (error != null) {
      problems.add(resource, "namespace", error);
    }
    AuthorizationPolicy.Scope scope =
        switch (proto.getScope()) {
          case GLOBAL -> AuthorizationPolicy.Scope.GLOBAL;
          case NAMESPACE -> AuthorizationPolicy.Scope.NAMESPACE;
          case WORKLOAD_SELECTOR -> AuthorizationPolicy.Scope.WORKLOAD_SELECTOR;
          case UNRECOGNIZED -> {
            problems.add(resource, "scope", "unknown value " + proto.getScopeValue());
            yield null;
          }
        };
    AuthorizationPolicy.Action action =
        switch (proto.getAction()) {
          case ALLOW -> AuthorizationPolicy.Action.ALLOW;
          case DENY -> AuthorizationPolicy.Action.DENY;
          case UNRECOGNIZED -> {
            problems.add(resource, "action", "unknown value " + proto.getActionValue());
            yield null;
          }
        };
    List<Rule> rules = new ArrayList<>(proto.getGroupsCount());
    for (int g = 0; g < proto.getGroupsCount(); g++) {
      Group group = proto.getGroups(g);
      List<Clause> clauses = new ArrayList<>(group.getRulesCount());
      for (int r = 0; r < group.getRulesCount(); r++) {
        Rules protoRules = group.getRules(r);
        List<Match> matches = new ArrayList<>(protoRules.getMatchesCount());
        for (int m = 0; m < protoRules.getMatchesCount(); m++) {
          String field = "groups[" + g + "].rules[" + r + "].matches[" + m + "]";
          matches.add(fromProto(protoRules.getMatches(m), problems, resource, field));
        }
        clauses.add(new Clause(matches));
      }
      rules.add(new Rule(clauses));
    }
    if (problems.size() != before) {
      return null;
    }
    return new AuthorizationPolicy(
        proto.getName(), proto.getNamespace(), scope, action, selector, rules, proto.getDryRun());
  }

  private static Match fromProto(
      dev.ambient.api.security.v1.Match m, Problems problems, String resource, String field) {
    List<StringMatch> principals =
        strings(m.getPrincipalsList(), problems, resource, field + ".principals");
    List<StringMatch> notPrincipals =
        strings(m.getNotPrincipalsList(), problems, resource, field + ".not_principals");
    // The model has no service-account condition. "namespace ns, account sa, any trust domain" is
    // exactly the principal suffix "/ns/<ns>/sa/<sa>" (trust domains and names never contain '/').
    // Exclusions simply join not_principals. Inclusions can join principals only when that field
    // is otherwise empty: merging two populated fields would turn their AND into an OR and widen
    // the match, so that combination is refused instead.
    List<StringMatch> accounts =
        accounts(m.getServiceAccountsList(), problems, resource, field + ".service_accounts");
    if (!accounts.isEmpty()) {
      if (!principals.isEmpty()) {
        problems.add(
            resource,
            field + ".service_accounts",
            "cannot be combined with principals in one match (not representable in the model)");
      }
      principals = accounts;
    }
    notPrincipals = new ArrayList<>(notPrincipals);
    notPrincipals.addAll(
        accounts(
            m.getNotServiceAccountsList(), problems, resource, field + ".not_service_accounts"));
    return new Match(
        strings(m.getNamespacesList(), problems, resource, field + ".namespaces"),
        strings(m.getNotNamespacesList(), problems, resource, field + ".not_namespaces"),
        principals,
        notPrincipals,
        cidrs(m.getSourceIpsList(), problems, resource, field + ".source_ips"),
        cidrs(m.getNotSourceIpsList(), problems, resource, field + ".not_source_ips"),
        cidrs(m.getDestinationIpsList(), problems, resource, field + ".destination_ips"),
        cidrs(m.getNotDestinationIpsList(), problems, resource, field + ".not_destination_ips"),
        ports(m.getDestinationPortsList(), problems, resource, field + ".destination_ports"),
        ports(
            m.getNotDestinationPortsList(), problems, resource, field + ".not_destination_ports"));
  }

  private static List<StringMatch> strings(
      List<dev.ambient.api.security.v1.StringMatch> in,
      Problems problems,
      String resource,
      String field) {
    List<StringMatch> out = new ArrayList<>(in.size());
    for (int i = 0; i < in.size(); i++) {
      dev.ambient.api.security.v1.StringMatch s = in.get(i);
      switch (s.getMatchTypeCase()) {
        case EXACT -> out.add(new StringMatch.Exact(s.getExact()));
        case PREFIX -> out.add(new StringMatch.Prefix(s.getPrefix()));
        case SUFFIX -> out.add(new StringMatch.Suffix(s.getSuffix()));
        case PRESENCE -> out.add(new StringMatch.Presence());
        case MATCHTYPE_NOT_SET ->
            problems.add(
                resource, field + "[" + i + "]", "no exact, prefix, suffix or presence set");
      }
    }
    return out;
  }

  private static List<StringMatch> accounts(
      List<ServiceAccountMatch> in, Problems problems, String resource, String field) {
    List<StringMatch> out = new ArrayList<>(in.size());
    for (int i = 0; i < in.size(); i++) {
      ServiceAccountMatch sa = in.get(i);
      String nsError = Names.checkDnsLabel(sa.getNamespace());
      String saError = Names.checkDnsSubdomain(sa.getServiceAccount());
      if (nsError != null) {
        problems.add(resource, field + "[" + i + "].namespace", nsError);
      }
      if (saError != null) {
        problems.add(resource, field + "[" + i + "].serviceAccount", saError);
      }
      if (nsError == null && saError == null) {
        String suffix = "/ns/" + sa.getNamespace() + "/sa/" + sa.getServiceAccount();
        out.add(new StringMatch.Suffix(suffix));
      }
    }
    return out;
  }

  private static List<Cidr> cidrs(
      List<Address> in, Problems problems, String resource, String field) {
    List<Cidr> out = new ArrayList<>(in.size());
    for (int i = 0; i < in.size(); i++) {
      Address a = in.get(i);
      String f = field + "[" + i + "]";
      ByteString bytes = a.getAddress();
      InetAddress ip = IpBytes.parse(bytes, problems, resource, f + ".address");
      if (ip == null) {
        continue;
      }
      int max = ip.getAddress().length * 8;
      // uint32 arrives as a signed int: compare unsigned so 2^31 and above are out of range too.
      if (Integer.compareUnsigned(a.getLength(), max) > 0) {
        problems.add(
            resource,
            f + ".length",
            Integer.toUnsignedString(a.getLength()) + " exceeds " + max + " for this address");
        continue;
      }
      out.add(new Cidr(ip, a.getLength()));
    }
    return out;
  }

  private static List<Integer> ports(
      List<Integer> in, Problems problems, String resource, String field) {
    List<Integer> out = new ArrayList<>(in.size());
    for (int i = 0; i < in.size(); i++) {
      int port = in.get(i);
      if (port < 1 || port > 65535) {
        problems.add(
            resource,
            field + "[" + i + "]",
            "port " + Integer.toUnsignedString(port) + " out of range 1..65535");
      } else {
        out.add(port);
      }
    }
    return out;
  }
}
