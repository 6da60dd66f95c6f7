package dev.ambient.api.config;

import java.util.Set;

/**
 * The fields an Istio {@code security.istio.io/v1} AuthorizationPolicy may have, by level: both the
 * mesh's policy translation and the waypoint's reject any other field by name instead of ignoring
 * it (an ignored field could widen what a policy allows).
 */
public final class AuthorizationPolicyKeys {
  /** The fields of {@code spec}. */
  public static final Set<String> SPEC_KEYS =
      Set.of("selector", "targetRef", "targetRefs", "action", "provider", "rules");

  /** The fields of one of {@code spec.rules}. */
  public static final Set<String> RULE_KEYS = Set.of("from", "to", "when");

  /** The fields of a rule's {@code from[].source}. */
  public static final Set<String> SOURCE_KEYS =
      Set.of(
          "principals",
          "notPrincipals",
          "requestPrincipals",
          "notRequestPrincipals",
          "namespaces",
          "notNamespaces",
          "ipBlocks",
          "notIpBlocks",
          "remoteIpBlocks",
          "notRemoteIpBlocks",
          "serviceAccounts",
          "notServiceAccounts");

  /** The fields of a rule's {@code to[].operation}. */
  public static final Set<String> OPERATION_KEYS =
      Set.of(
          "hosts", "notHosts", "ports", "notPorts", "methods", "notMethods", "paths", "notPaths");

  /** The fields of one of a rule's {@code when}. */
  public static final Set<String> CONDITION_KEYS = Set.of("key", "values", "notValues");

  private AuthorizationPolicyKeys() {}
}
