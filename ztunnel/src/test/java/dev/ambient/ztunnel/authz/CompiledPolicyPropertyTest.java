package dev.ambient.ztunnel.authz;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ambient.api.authz.AuthorizationPolicy;
import dev.ambient.api.authz.AuthorizationPolicy.Action;
import dev.ambient.api.authz.AuthorizationPolicy.Scope;
import dev.ambient.api.authz.Cidr;
import dev.ambient.api.authz.Clause;
import dev.ambient.api.authz.IpLiteral;
import dev.ambient.api.authz.Match;
import dev.ambient.api.authz.Rule;
import dev.ambient.api.authz.StringMatch;
import dev.ambient.api.spiffe.SpiffeId;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * Random policies and connections: the compiled matcher must agree with a direct reading of the
 * model's documented semantics (rule = AND of clauses, clause = OR of matches, match = AND of
 * fields, field = OR of values, not-field = none of its values).
 */
class CompiledPolicyPropertyTest {
  private final Random random = new Random(7);

  private static final String[] NAMESPACES = {"default", "prod", "prod-eu", "x"};
  private static final String[] CIDRS = {
    "10.0.0.0/8",
    "10.1.0.0/16",
    "10.1.2.3",
    "0.0.0.0/0",
    "fd00::/8",
    "fd00:1::/32",
    "::1",
    "192.168.0.0/23",
  };
  private static final String[] IPS = {
    "10.1.2.3", "10.2.0.1", "11.0.0.1", "fd00:1::5", "::1", "192.168.1.1"
  };

  @Test
  void compiledMatchingAgreesWithTheModel() {
    for (int i = 0; i < 3000; i++) {
      AuthorizationPolicy policy =
          new AuthorizationPolicy(
              "p", "default", Scope.NAMESPACE, Action.ALLOW, Map.of(), list(3, this::rule), false);
      CompiledPolicy compiled = new CompiledPolicy(policy);
      for (int j = 0; j < 20; j++) {
        SpiffeId who =
            random.nextInt(4) == 0
                ? null
                : SpiffeId.of("cluster.local", pick(NAMESPACES), pick(new String[] {"a", "b"}));
        ConnectionContext c =
            new ConnectionContext(
                who, IpLiteral.parse(pick(IPS)), IpLiteral.parse(pick(IPS)), 1 + random.nextInt(4));
        assertThat(compiled.matches(Peer.of(c)))
            .as("policy %s, connection %s", policy, c)
            .isEqualTo(reference(policy, c));
      }
    }
  }

  private static boolean reference(AuthorizationPolicy p, ConnectionContext c) {
    return p.rules().stream()
        .anyMatch(
            r ->
                r.clauses().stream()
                    .allMatch(cl -> cl.matches().stream().anyMatch(m -> reference(m, c))));
  }

  private static boolean reference(Match m, ConnectionContext c) {
    String principal =
        c.sourcePrincipal() == null
            ? null
            : c.sourcePrincipal().uri().substring("spiffe://".length());
    String ns = c.sourcePrincipal() == null ? null : c.sourcePrincipal().namespace();
    return strings(m.namespaces(), m.notNamespaces(), ns)
        && strings(m.principals(), m.notPrincipals(), principal)
        && ips(m.sourceIps(), m.notSourceIps(), c.sourceIp())
        && ips(m.destinationIps(), m.notDestinationIps(), c.destinationIp())
        && (m.destinationPorts().isEmpty() || m.destinationPorts().contains(c.destinationPort()))
        && !m.notDestinationPorts().contains(c.destinationPort());
  }

  private static boolean strings(List<StringMatch> yes, List<StringMatch> no, String v) {
    return (yes.isEmpty() || yes.stream().anyMatch(s -> s.matches(v)))
        && no.stream().noneMatch(s -> s.matches(v));
  }

  private static boolean ips(List<Cidr> yes, List<Cidr> no, InetAddress ip) {
    return (yes.isEmpty() || yes.stream().anyMatch(s -> s.contains(ip)))
        && no.stream().noneMatch(s -> s.contains(ip));
  }

  private Rule rule() {
    return new Rule(list(3, () -> new Clause(list(3, this::match))));
  }

  private Match match() {
    return new Match(
        sparse(this::namespace),
        sparse(this::namespace),
        sparse(this::principal),
        sparse(this::principal),
        sparse(() -> Cidr.parse(pick(CIDRS))),
        sparse(() -> Cidr.parse(pick(CIDRS))),
        sparse(() -> Cidr.parse(pick(CIDRS))),
        sparse(() -> Cidr.parse(pick(CIDRS))),
        sparse(() -> 1 + random.nextInt(4)),
        sparse(() -> 1 + random.nextInt(4)));
  }

  private StringMatch namespace() {
    return StringMatch.parseIstio(pick(new String[] {"default", "prod*", "*-eu", "*", "x"}));
  }

  private StringMatch principal() {
    return StringMatch.parseIstio(
        pick(
            new String[] {
              "cluster.local/ns/default/sa/a",
              "cluster.local/ns/prod/*",
              "*/sa/b",
              "*",
              "spiffe://cluster.local/ns/x/sa/a"
            }));
  }

  /** Mostly empty, so that matches do match now and then. */
  private <T> List<T> sparse(Supplier<T> gen) {
    return random.nextInt(4) == 0 ? list(2, gen) : List.of();
  }

  private <T> List<T> list(int max, Supplier<T> gen) {
    int n = random.nextInt(max + 1);
    List<T> out = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      out.add(gen.get());
    }
    return out;
  }

  private String pick(String[] values) {
    return values[random.nextInt(values.length)];
  }
}
