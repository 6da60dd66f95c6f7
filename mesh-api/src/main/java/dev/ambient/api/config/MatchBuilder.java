package dev.ambient.api.config;

import dev.ambient.api.authz.Cidr;
import dev.ambient.api.authz.Match;
import dev.ambient.api.authz.StringMatch;
import java.util.ArrayList;
import java.util.List;

/**
 * Accumulates the L4 conditions of one {@link Match} while a source/operation/condition is read.
 */
final class MatchBuilder {
  final List<StringMatch> namespaces = new ArrayList<>();
  final List<StringMatch> notNamespaces = new ArrayList<>();
  final List<StringMatch> principals = new ArrayList<>();
  final List<StringMatch> notPrincipals = new ArrayList<>();
  final List<Cidr> sourceIps = new ArrayList<>();
  final List<Cidr> notSourceIps = new ArrayList<>();
  final List<Cidr> destinationIps = new ArrayList<>();
  final List<Cidr> notDestinationIps = new ArrayList<>();
  final List<Integer> ports = new ArrayList<>();
  final List<Integer> notPorts = new ArrayList<>();

  Match build() {
    return new Match(
        namespaces,
        notNamespaces,
        principals,
        notPrincipals,
        sourceIps,
        notSourceIps,
        destinationIps,
        notDestinationIps,
        ports,
        notPorts);
  }
}
