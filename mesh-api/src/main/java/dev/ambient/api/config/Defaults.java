package dev.ambient.api.config;

/** Document-wide settings the objects are read with. */
record Defaults(String trustDomain, String rootNamespace) {
  static final String TRUST_DOMAIN = "cluster.local";
  static final String ROOT_NAMESPACE = "istio-system";
}
