package dev.ambient.api.authz;

import java.util.List;

/**
 * A set of L4 conditions that must all hold. Within a field the values are alternatives (any one
 * matching suffices; an empty field is no condition); every {@code not} field must match none of
 * its values.
 */
public record Match(
    List<StringMatch> namespaces,
    List<StringMatch> notNamespaces,
    List<StringMatch> principals,
    List<StringMatch> notPrincipals,
    List<Cidr> sourceIps,
    List<Cidr> notSourceIps,
    List<Cidr> destinationIps,
    List<Cidr> notDestinationIps,
    List<Integer> destinationPorts,
    List<Integer> notDestinationPorts) {

  public Match {
    namespaces = List.copyOf(namespaces);
    notNamespaces = List.copyOf(notNamespaces);
    principals = List.copyOf(principals);
    notPrincipals = List.copyOf(notPrincipals);
    sourceIps = List.copyOf(sourceIps);
    notSourceIps = List.copyOf(notSourceIps);
    destinationIps = List.copyOf(destinationIps);
    notDestinationIps = List.copyOf(notDestinationIps);
    destinationPorts = List.copyOf(destinationPorts);
    notDestinationPorts = List.copyOf(notDestinationPorts);
  }

  /** Callers with one of these principals. */
  public static Match principals(List<StringMatch> principals) {
    return new Match(
        List.of(),
        List.of(),
        principals,
        List.of(),
        List.of(),
        List.of(),
        List.of(),
        List.of(),
        List.of(),
        List.of());
  }

  /** Callers with none of these principals (also those without any, such as plaintext ones). */
  public static Match notPrincipals(List<StringMatch> notPrincipals) {
    return new Match(
        List.of(),
        List.of(),
        List.of(),
        notPrincipals,
        List.of(),
        List.of(),
        List.of(),
        List.of(),
        List.of(),
        List.of());
  }

  /** Connections to one of {@code ports} (any, when empty) and to none of {@code notPorts}. */
  public static Match destinationPorts(List<Integer> ports, List<Integer> notPorts) {
    return new Match(
        List.of(), List.of(), List.of(), List.of(), List.of(), List.of(), List.of(), List.of(),
        ports, notPorts);
  }

  /** A match with no conditions at all (matches every connection). */
  public static Match any() {
    return new Match(
        List.of(), List.of(), List.of(), List.of(), List.of(), List.of(), List.of(), List.of(),
        List.of(), List.of());
  }
}
