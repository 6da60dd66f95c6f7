package dev.ambient.controller.local;

import dev.ambient.controller.ca.Caller;
import dev.ambient.controller.ca.CallerAuthenticator;
import io.grpc.Metadata;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The local mode's stand-in for Kubernetes service-account tokens: the controller makes a random
 * token for each waypoint it starts (handed to the waypoint in a 0600 file) and answers it with the
 * Gateway's service account, so the CA's own-identity rule and the waypoint xDS authorization work
 * exactly as for a waypoint pod. Only the tokens' SHA-256 are kept; a stopped waypoint's token is
 * revoked. Every other caller (a ztunnel with its node token) goes to the node authenticator.
 */
public final class LocalWaypointTokens implements CallerAuthenticator {
  private static final Metadata.Key<String> AUTHORIZATION =
      Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);
  private static final SecureRandom RANDOM = new SecureRandom();

  private final Map<String, String> accounts = new ConcurrentHashMap<>();
  // Set once the CA is open (after the store, whose waypoints need the tokens, is read).
  private volatile CallerAuthenticator nodes = headers -> Optional.empty();

  /** Callers that are not local waypoints are authenticated by {@code nodes}. */
  public LocalWaypointTokens useForNodes(CallerAuthenticator nodes) {
    this.nodes = nodes;
    return this;
  }

  /** A new token for {@code <namespace>/<service account>}. */
  public String issue(String serviceAccount) {
    byte[] raw = new byte[32];
    RANDOM.nextBytes(raw);
    String token = Base64.getUrlEncoder().withoutPadding().encodeToString(raw);
    accounts.put(hash(token), serviceAccount);
    return token;
  }

  public void revoke(String token) {
    if (token != null) {
      accounts.remove(hash(token));
    }
  }

  @Override
  public Optional<String> nodeFor(Metadata headers) {
    return nodes.nodeFor(headers);
  }

  @Override
  public Optional<Caller> callerFor(Metadata headers) {
    String value = headers.get(AUTHORIZATION);
    if (value != null && value.length() > 7 && value.regionMatches(true, 0, "Bearer ", 0, 7)) {
      // A map lookup by hash: the token itself is never compared, so its timing tells nothing.
      String account = accounts.get(hash(value.substring(7).strip()));
      if (account != null) {
        return Optional.of(Caller.serviceAccount(account));
      }
    }
    return nodes.callerFor(headers);
  }

  private static String hash(String token) {
    try {
      return Base64.getEncoder()
          .encodeToString(
              MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
