package dev.ambient.controller.ca;

import dev.ambient.ztunnel.identity.ChainVerifier;
import java.net.InetAddress;
import java.net.Socket;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedKeyManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The CA's own TLS certificate, re-issued by {@link #renewIfDue} (called from a timer, never from a
 * handshake) at half-life or once it no longer chains to the trust bundle. After a root rotation it
 * thus keeps chaining to the old root for the overlap, while clients that still know only the old
 * root learn the new one from their certificate responses. Each issue gets its own alias so a
 * handshake that picked an alias always gets the matching key and chain.
 */
final class ServingKeyManager extends X509ExtendedKeyManager {
  static final Duration LIFETIME = Duration.ofDays(7);
  private static final Logger log = LoggerFactory.getLogger(ServingKeyManager.class);

  private record Material(PrivateKey key, X509Certificate[] chain) {}

  private final CertificateAuthority ca;
  private final List<String> dnsNames;
  private final List<InetAddress> ips;
  private final Clock clock;
  private final Map<String, Material> byAlias = new LinkedHashMap<>();
  private volatile String currentAlias;
  private int generation;

  ServingKeyManager(
      CertificateAuthority ca, List<String> dnsNames, List<InetAddress> ips, Clock clock) {
    this.ca = ca;
    this.dnsNames = List.copyOf(dnsNames);
    this.ips = List.copyOf(ips);
    this.clock = clock;
    renewIfDue();
  }

  /** Re-issues the serving certificate if past half-life or no longer trusted. */
  synchronized void renewIfDue() {
    Material cur = currentAlias == null ? null : byAlias.get(currentAlias);
    if (cur != null) {
      X509Certificate leaf = cur.chain()[0];
      Instant nb = leaf.getNotBefore().toInstant();
      Instant na = leaf.getNotAfter().toInstant();
      Instant half = nb.plus(Duration.between(nb, na).dividedBy(2));
      Instant now = clock.instant();
      if (now.isBefore(half) && stillTrusted(cur, now)) {
        return;
      }
    }
    KeyPair key = X509Builder.newP256();
    IssuedCertificate issued = ca.issueServing(key.getPublic(), dnsNames, ips, LIFETIME);
    String alias = "ca-serving-" + (++generation);
    byAlias.put(
        alias, new Material(key.getPrivate(), issued.chain().toArray(new X509Certificate[0])));
    // Keep the previous one for handshakes that already chose its alias.
    while (byAlias.size() > 2) {
      byAlias.remove(byAlias.keySet().iterator().next());
    }
    currentAlias = alias;
    log.info(
        "CA serving certificate issued: serial {} valid until {}",
        issued.serialHex(),
        issued.leaf().getNotAfter().toInstant());
  }

  private boolean stillTrusted(Material m, Instant now) {
    try {
      ChainVerifier.verify(Arrays.asList(m.chain()), ca.trustBundle(), Date.from(now));
      return true;
    } catch (GeneralSecurityException e) {
      return false;
    }
  }

  private String alias(String keyType) {
    return keyType != null && keyType.startsWith("EC") ? currentAlias : null;
  }

  private String alias(String[] keyTypes) {
    if (keyTypes == null) {
      return null;
    }
    for (String t : keyTypes) {
      String a = alias(t);
      if (a != null) {
        return a;
      }
    }
    return null;
  }

  @Override
  public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine engine) {
    return alias(keyType);
  }

  @Override
  public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
    return alias(keyType);
  }

  @Override
  public String[] getServerAliases(String keyType, Principal[] issuers) {
    String a = alias(keyType);
    return a == null ? null : new String[] {a};
  }

  @Override
  public synchronized X509Certificate[] getCertificateChain(String alias) {
    Material m = byAlias.get(alias);
    return m == null ? null : m.chain().clone();
  }

  @Override
  public synchronized PrivateKey getPrivateKey(String alias) {
    Material m = byAlias.get(alias);
    return m == null ? null : m.key();
  }

  @Override
  public String chooseEngineClientAlias(String[] keyTypes, Principal[] issuers, SSLEngine engine) {
    return null;
  }

  @Override
  public String chooseClientAlias(String[] keyTypes, Principal[] issuers, Socket socket) {
    return null;
  }

  @Override
  public String[] getClientAliases(String keyType, Principal[] issuers) {
    return null;
  }

  X509Certificate currentLeaf() {
    X509Certificate[] chain = getCertificateChain(currentAlias);
    return chain == null ? null : chain[0];
  }
}
