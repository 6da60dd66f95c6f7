package dev.ambient.ztunnel.authz;

import dev.ambient.api.authz.Cidr;
import dev.ambient.api.authz.Match;
import dev.ambient.api.authz.StringMatch;
import java.util.List;

/**
 * A {@link Match} in array form. Every field is a condition that must hold; an empty positive field
 * is no condition, a positive field holds when any value matches, a {@code not} field holds when no
 * value matches. A plaintext caller has no principal and no namespace, so a positive condition on
 * either fails for it and a {@code not} condition holds.
 */
final class CompiledMatch {
  private final StringMatch[] namespaces;
  private final StringMatch[] notNamespaces;
  private final StringMatch[] principals;
  private final StringMatch[] notPrincipals;
  private final CompiledCidr[] sourceIps;
  private final CompiledCidr[] notSourceIps;
  private final CompiledCidr[] destinationIps;
  private final CompiledCidr[] notDestinationIps;
  private final int[] ports;
  private final int[] notPorts;

  CompiledMatch(Match m) {
    namespaces = m.namespaces().toArray(StringMatch[]::new);
    notNamespaces = m.notNamespaces().toArray(StringMatch[]::new);
    principals = m.principals().toArray(StringMatch[]::new);
    notPrincipals = m.notPrincipals().toArray(StringMatch[]::new);
    sourceIps = cidrs(m.sourceIps());
    notSourceIps = cidrs(m.notSourceIps());
    destinationIps = cidrs(m.destinationIps());
    notDestinationIps = cidrs(m.notDestinationIps());
    ports = m.destinationPorts().stream().mapToInt(Integer::intValue).toArray();
    notPorts = m.notDestinationPorts().stream().mapToInt(Integer::intValue).toArray();
  }

  private static CompiledCidr[] cidrs(List<Cidr> list) {
    return list.stream().map(CompiledCidr::new).toArray(CompiledCidr[]::new);
  }

  boolean matches(Peer p) {
    return strings(namespaces, notNamespaces, p.namespace())
        && strings(principals, notPrincipals, p.principal())
        && ips(sourceIps, notSourceIps, p.sourceIp())
        && ips(destinationIps, notDestinationIps, p.destinationIp())
        && ports(p.port());
  }

  private static boolean strings(StringMatch[] yes, StringMatch[] no, String value) {
    if (yes.length > 0) {
      boolean any = false;
      for (StringMatch s : yes) {
        if (s.matches(value)) {
          any = true;
          break;
        }
      }
      if (!any) {
        return false;
      }
    }
    for (StringMatch s : no) {
      if (s.matches(value)) {
        return false;
      }
    }
    return true;
  }

  private static boolean ips(CompiledCidr[] yes, CompiledCidr[] no, byte[] ip) {
    if (yes.length > 0) {
      boolean any = false;
      for (CompiledCidr c : yes) {
        if (c.contains(ip)) {
          any = true;
          break;
        }
      }
      if (!any) {
        return false;
      }
    }
    for (CompiledCidr c : no) {
      if (c.contains(ip)) {
        return false;
      }
    }
    return true;
  }

  private boolean ports(int port) {
    if (ports.length > 0) {
      boolean any = false;
      for (int q : ports) {
        if (q == port) {
          any = true;
          break;
        }
      }
      if (!any) {
        return false;
      }
    }
    for (int q : notPorts) {
      if (q == port) {
        return false;
      }
    }
    return true;
  }
}
