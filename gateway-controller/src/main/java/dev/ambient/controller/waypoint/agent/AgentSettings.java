package dev.ambient.controller.waypoint.agent;

import dev.ambient.api.spiffe.SpiffeId;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Everything {@code mesh waypoint run} needs, validated: which Gateway's configuration to ask for
 * (the Envoy node id {@code <namespace>/<name>}), where the controller is and how to trust and
 * authenticate to it, and who the pod is (its namespace and service account make its identity
 * {@code spiffe://<trust domain>/ns/<namespace>/sa/<service account>}).
 *
 * @param gatewayNamespace the Gateway's namespace
 * @param gatewayName the Gateway's name
 * @param controllerHost the controller's host name (or IP literal), also the TLS SNI
 * @param controllerPort its TLS port (15012)
 * @param caRoot PEM root(s) the controller's serving certificate must chain to
 * @param tokenFile the pod's projected service-account token (audience istio-ca), re-read per use
 * @param envoyBinary Envoy to run
 * @param workDir private (0700) directory for the SDS socket, bootstrap and Envoy log; null: a
 *     fresh temporary directory, removed on exit
 * @param trustDomain the mesh's trust domain
 * @param podNamespace {@code POD_NAMESPACE}
 * @param podName {@code POD_NAME} (for logs; may be null)
 * @param serviceAccount {@code SERVICE_ACCOUNT}
 * @param readinessListen where {@code /healthz/ready} is served (0.0.0.0:15021 in a pod)
 * @param certificateTtl the certificate lifetime asked of the CA (renewed at half-life)
 */
public record AgentSettings(
    String gatewayNamespace,
    String gatewayName,
    String controllerHost,
    int controllerPort,
    Path caRoot,
    Path tokenFile,
    Path envoyBinary,
    Path workDir,
    String trustDomain,
    String podNamespace,
    String podName,
    String serviceAccount,
    InetSocketAddress readinessListen,
    Duration certificateTtl) {

  /** Kubernetes names: DNS-1123 labels (namespaces, Gateways) or subdomains (service accounts). */
  private static final Pattern LABEL = Pattern.compile("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?");

  private static final Pattern SUBDOMAIN =
      Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*");

  public AgentSettings {
    Objects.requireNonNull(caRoot, "caRoot");
    Objects.requireNonNull(tokenFile, "tokenFile");
    Objects.requireNonNull(envoyBinary, "envoyBinary");
    Objects.requireNonNull(readinessListen, "readinessListen");
    Objects.requireNonNull(certificateTtl, "certificateTtl");
    requireLabel("--gateway namespace", gatewayNamespace);
    requireLabel("--gateway name", gatewayName);
    requireLabel("POD_NAMESPACE", podNamespace);
    if (serviceAccount == null
        || serviceAccount.length() > 253
        || !SUBDOMAIN.matcher(serviceAccount).matches()) {
      throw new IllegalArgumentException(
          "SERVICE_ACCOUNT: \""
              + (serviceAccount == null ? "" : serviceAccount)
              + "\" is not a service account name (set it from spec.serviceAccountName)");
    }
    if (controllerHost == null || controllerHost.isBlank()) {
      throw new IllegalArgumentException("--controller-address: no host");
    }
    if (controllerPort < 1 || controllerPort > 65535) {
      throw new IllegalArgumentException(
          "--controller-address: port " + controllerPort + " is not in 1..65535");
    }
    if (trustDomain == null || trustDomain.isBlank()) {
      throw new IllegalArgumentException("--trust-domain: empty");
    }
    if (!gatewayNamespace.equals(podNamespace)) {
      // The controller gives a Gateway's configuration only to its own namespace's account.
      throw new IllegalArgumentException(
          "--gateway "
              + gatewayNamespace
              + "/"
              + gatewayName
              + ": not in the pod's namespace POD_NAMESPACE="
              + podNamespace);
    }
    if (certificateTtl.getSeconds() < 2) {
      throw new IllegalArgumentException("--cert-ttl: must be at least 2s");
    }
    identityOf(trustDomain, podNamespace, serviceAccount); // throws naming the problem
  }

  /** The Envoy node id: all replicas of one Gateway share one configuration. */
  public String nodeId() {
    return gatewayNamespace + "/" + gatewayName;
  }

  /** The pod's identity, the only one the CA will sign for its token. */
  public SpiffeId identity() {
    return identityOf(trustDomain, podNamespace, serviceAccount);
  }

  /** The controller's identity (istiod's, as ztunnel checks it). */
  public SpiffeId controllerIdentity() {
    return SpiffeId.of(trustDomain, "istio-system", "istiod");
  }

  private static SpiffeId identityOf(String td, String ns, String sa) {
    try {
      return SpiffeId.of(td, ns, sa);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "identity from --trust-domain, POD_NAMESPACE and SERVICE_ACCOUNT: " + e.getMessage(), e);
    }
  }

  private static void requireLabel(String what, String value) {
    if (value == null || !LABEL.matcher(value).matches()) {
      throw new IllegalArgumentException(
          what
              + ": \""
              + (value == null ? "" : value)
              + "\" is not a Kubernetes name (lowercase letters, digits and '-', at most 63)");
    }
  }

  /** {@code <namespace>/<name>} of {@code --gateway}. */
  static String[] splitGateway(String gateway) {
    String[] parts = gateway == null ? new String[0] : gateway.split("/", -1);
    if (parts.length != 2) {
      throw new IllegalArgumentException(
          "--gateway: \"" + (gateway == null ? "" : gateway) + "\" is not <namespace>/<name>");
    }
    return parts;
  }

  /** {@code host:port} (IPv6 literals in brackets) of {@code --controller-address}. */
  static InetSocketAddress splitHostPort(String option, String text) {
    if (text == null) {
      throw new IllegalArgumentException(option + ": missing");
    }
    int colon = text.lastIndexOf(':');
    if (colon <= 0 || colon == text.length() - 1) {
      throw new IllegalArgumentException(option + ": \"" + text + "\" is not host:port");
    }
    String host = text.substring(0, colon);
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    }
    int port;
    try {
      port = Integer.parseInt(text.substring(colon + 1));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(option + ": \"" + text + "\": port is not a number");
    }
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException(option + ": port " + port + " is not in 0..65535");
    }
    return InetSocketAddress.createUnresolved(host, port);
  }

  /** A required environment variable, or an error naming it. */
  static String env(Map<String, String> env, String name, boolean required) {
    String v = env.get(name);
    if (required && (v == null || v.isBlank())) {
      throw new IllegalArgumentException(
          name + ": environment variable not set (the waypoint Deployment sets it from the pod)");
    }
    return v == null || v.isBlank() ? null : v.strip();
  }
}
