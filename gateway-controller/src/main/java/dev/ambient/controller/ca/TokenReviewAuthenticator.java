package dev.ambient.controller.ca;

import io.fabric8.kubernetes.api.model.authentication.TokenReview;
import io.fabric8.kubernetes.api.model.authentication.TokenReviewBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.grpc.Metadata;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Authenticates ztunnels in a cluster as Istio's CA does: the caller presents its projected
 * service-account token (audience {@code istio-ca}), the API server's TokenReview vouches for it,
 * the account must be one trusted to act for a node (ztunnel's), and the node is the one the
 * token's pod runs on ({@code authentication.kubernetes.io/node-name}, which the API server puts in
 * pod-bound tokens). No node in the token, no certificate: fail closed.
 *
 * <p>Verdicts are cached for a short time by the token's SHA-256 (never the token itself), so a
 * burst of certificate requests costs one review.
 */
public final class TokenReviewAuthenticator implements CallerAuthenticator {
  private static final Logger log = LoggerFactory.getLogger(TokenReviewAuthenticator.class);
  public static final String NODE_NAME_EXTRA = "authentication.kubernetes.io/node-name";
  public static final String DEFAULT_AUDIENCE = "istio-ca";
  static final Duration ACCEPT_CACHE = Duration.ofSeconds(30);
  static final Duration REJECT_CACHE = Duration.ofSeconds(5);
  private static final int MAX_TOKEN_LENGTH = 16 * 1024;
  private static final int MAX_CACHE = 10_000;
  private static final Metadata.Key<String> AUTHORIZATION =
      Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

  private record Verdict(Optional<Caller> caller, Instant until) {}

  private final KubernetesClient client;
  private final String audience;
  private final Set<String> trustedAccounts;
  private final Clock clock;
  private final boolean workloadCallers;
  private final Map<String, Verdict> cache = new ConcurrentHashMap<>();

  /**
   * @param trustedAccounts service accounts allowed to ask for the workloads of their node, as
   *     {@code <namespace>/<name>} (Istio: {@code istio-system/ztunnel})
   */
  public TokenReviewAuthenticator(
      KubernetesClient client, String audience, Set<String> trustedAccounts, Clock clock) {
    this(client, audience, trustedAccounts, clock, false);
  }

  /**
   * @param workloadCallers also accept tokens of other service accounts as workloads acting for
   *     themselves ({@link Caller#serviceAccount}; waypoint pods), which the CA lets have only
   *     their own identity and the waypoint ADS only their own Gateway's configuration
   */
  public TokenReviewAuthenticator(
      KubernetesClient client,
      String audience,
      Set<String> trustedAccounts,
      Clock clock,
      boolean workloadCallers) {
    this.client = client;
    this.audience = audience;
    this.trustedAccounts = Set.copyOf(trustedAccounts);
    this.clock = clock;
    this.workloadCallers = workloadCallers;
  }

  @Override
  public Optional<String> nodeFor(Metadata headers) {
    return callerFor(headers).filter(Caller::isNode).map(Caller::node);
  }

  @Override
  public Optional<Caller> callerFor(Metadata headers) {
    String header = headers.get(AUTHORIZATION);
    if (header == null || !header.startsWith("Bearer ")) {
      return Optional.empty();
    }
    String token = header.substring("Bearer ".length()).strip();
    if (token.isEmpty() || token.length() > MAX_TOKEN_LENGTH) {
      return Optional.empty();
    }
    String key = sha256(token);
    Instant now = clock.instant();
    Verdict cached = cache.get(key);
    if (cached != null && now.isBefore(cached.until())) {
      return cached.caller();
    }
    Optional<Caller> node = review(token, key);
    if (cache.size() >= MAX_CACHE) {
      cache.clear(); // bounded: a flood of distinct tokens only costs reviews
    }
    cache.put(key, new Verdict(node, now.plus(node.isPresent() ? ACCEPT_CACHE : REJECT_CACHE)));
    return node;
  }

  private Optional<Caller> review(String token, String key) {
    String who = "token sha256:" + key.substring(0, 12);
    TokenReview result;
    try {
      result =
          client
              .resource(
                  new TokenReviewBuilder()
                      .withNewSpec()
                      .withToken(token)
                      .withAudiences(List.of(audience))
                      .endSpec()
                      .build())
              .create();
    } catch (KubernetesClientException e) {
      log.warn("TokenReview failed for {}: {}", who, e.getMessage());
      return Optional.empty();
    }
    var status = result == null ? null : result.getStatus();
    if (status == null || !Boolean.TRUE.equals(status.getAuthenticated())) {
      log.warn(
          "CA caller refused: {} not authenticated for audience {}: {}",
          who,
          audience,
          status == null ? "no status" : status.getError());
      return Optional.empty();
    }
    String username = status.getUser() == null ? null : status.getUser().getUsername();
    String account = serviceAccount(username);
    if (account != null && workloadCallers && !trustedAccounts.contains(account)) {
      return Optional.of(Caller.serviceAccount(account));
    }
    if (account == null || !trustedAccounts.contains(account)) {
      log.warn(
          "CA caller refused: {} is {}, not one of the node accounts {}",
          who,
          username,
          trustedAccounts);
      return Optional.empty();
    }
    Map<String, List<String>> extra = status.getUser().getExtra();
    List<String> nodes = extra == null ? null : extra.get(NODE_NAME_EXTRA);
    if (nodes == null || nodes.size() != 1 || nodes.get(0).isEmpty()) {
      log.warn(
          "CA caller refused: {} ({}) is not bound to a pod on a node (no {})",
          who,
          username,
          NODE_NAME_EXTRA);
      return Optional.empty();
    }
    return Optional.of(Caller.node(nodes.get(0)));
  }

  /** {@code system:serviceaccount:<ns>:<name>} as {@code <ns>/<name>}, else null. */
  static String serviceAccount(String username) {
    String prefix = "system:serviceaccount:";
    if (username == null || !username.startsWith(prefix)) {
      return null;
    }
    String[] parts = username.substring(prefix.length()).split(":", -1);
    return parts.length == 2 && !parts[0].isEmpty() && !parts[1].isEmpty()
        ? parts[0] + "/" + parts[1]
        : null;
  }

  private static String sha256(String token) {
    try {
      return HexFormat.of()
          .formatHex(
              MessageDigest.getInstance("SHA-256")
                  .digest(token.getBytes(StandardCharsets.US_ASCII)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
