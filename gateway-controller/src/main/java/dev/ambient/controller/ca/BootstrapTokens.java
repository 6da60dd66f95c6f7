package dev.ambient.controller.ca;

import io.grpc.Metadata;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Per-node bootstrap tokens. {@code ./mesh ca token --node N} makes 32 random bytes (base64url),
 * writes them to a 0600 file for the node's ztunnel, and records only their SHA-256 in the state
 * directory's {@code node-tokens} file (0600, lines {@code <node> <sha256 base64url>}); a new token
 * for a node replaces the old one. A caller presenting {@code authorization: Bearer <token>} is
 * that node. The hash file is re-read on every check (it is small and checks are per certificate,
 * not per request), so tokens issued or replaced while the CA runs take effect at once; comparing
 * contents rather than modification times matters because two writes can share one timestamp.
 */
public final class BootstrapTokens implements CallerAuthenticator {
  public static final String TOKENS_FILE = "node-tokens";
  private static final Logger log = LoggerFactory.getLogger(BootstrapTokens.class);
  private static final Metadata.Key<String> AUTHORIZATION =
      Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);
  private static final Pattern NODE_NAME = Pattern.compile("[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?");
  private static final SecureRandom RANDOM = new SecureRandom();

  private final Path file;
  private Map<String, byte[]> hashes = Map.of();
  private byte[] loadedBytes;

  private BootstrapTokens(Path file) {
    this.file = file;
  }

  /** Reads the token hashes of a state directory (none yet is fine). */
  public static BootstrapTokens open(Path stateDir) throws CaStateException {
    BootstrapTokens t = new BootstrapTokens(stateDir.resolve(TOKENS_FILE));
    t.reload();
    return t;
  }

  public static Path defaultTokenFile(Path stateDir, String node) {
    return stateDir.resolve("tokens").resolve(node + ".token");
  }

  /**
   * Makes a new token for the node, writes it to {@code out} (0600) and records its hash.
   *
   * @return the file the token was written to
   */
  public static Path issue(Path stateDir, String node, Path out) throws CaStateException {
    if (node == null || !NODE_NAME.matcher(node).matches()) {
      throw new CaStateException(
          "node name "
              + (node == null ? "(missing)" : '"' + node.replaceAll("[^\\x20-\\x7e]", "?") + '"')
              + " is not a DNS subdomain (lower-case letters, digits, '-', '.')");
    }
    Path target = out == null ? defaultTokenFile(stateDir, node) : out;
    byte[] raw = new byte[32];
    RANDOM.nextBytes(raw);
    String token = Base64.getUrlEncoder().withoutPadding().encodeToString(raw);
    Path hashFile = stateDir.resolve(TOKENS_FILE);
    try {
      SecureFiles.createPrivateDirectory(stateDir);
      Map<String, String> lines = readLines(hashFile);
      lines.put(node, Base64.getUrlEncoder().withoutPadding().encodeToString(sha256(token)));
      StringBuilder text = new StringBuilder("# node sha256(token), written by ./mesh ca token\n");
      lines.forEach((n, h) -> text.append(n).append(' ').append(h).append('\n'));
      // Token file first: if the hash write fails, the old token keeps working.
      SecureFiles.write(
          target, (token + "\n").getBytes(StandardCharsets.US_ASCII), SecureFiles.PRIVATE);
      SecureFiles.write(
          hashFile, text.toString().getBytes(StandardCharsets.US_ASCII), SecureFiles.PRIVATE);
    } catch (IOException e) {
      throw new CaStateException("cannot write bootstrap token for node " + node + ": " + e, e);
    }
    return target;
  }

  @Override
  public Optional<String> nodeFor(Metadata headers) {
    String value = headers.get(AUTHORIZATION);
    if (value == null || value.length() < 8 || !value.regionMatches(true, 0, "Bearer ", 0, 7)) {
      return Optional.empty();
    }
    String token = value.substring(7).strip();
    if (token.isEmpty()) {
      return Optional.empty();
    }
    Map<String, byte[]> current = current();
    byte[] presented = sha256(token);
    String match = null;
    // Compare against every entry without stopping early, each in constant time.
    for (Map.Entry<String, byte[]> e : current.entrySet()) {
      if (MessageDigest.isEqual(presented, e.getValue())) {
        match = e.getKey();
      }
    }
    return Optional.ofNullable(match);
  }

  private synchronized Map<String, byte[]> current() {
    try {
      reload();
    } catch (CaStateException e) {
      log.warn("keeping previously loaded node tokens: {}", e.getMessage());
    }
    return hashes;
  }

  private synchronized void reload() throws CaStateException {
    try {
      byte[] bytes = Files.exists(file) ? Files.readAllBytes(file) : null;
      if (Arrays.equals(bytes, loadedBytes) && (bytes != null || hashes.isEmpty())) {
        return;
      }
      if (bytes != null) {
        SecureFiles.requirePrivate(file, "node token hash file");
      }
      Map<String, byte[]> next = new LinkedHashMap<>();
      for (Map.Entry<String, String> e : parseLines(bytes).entrySet()) {
        byte[] h;
        try {
          h = Base64.getUrlDecoder().decode(e.getValue());
        } catch (IllegalArgumentException bad) {
          throw new CaStateException(file + ": node " + e.getKey() + ": hash is not base64url");
        }
        if (h.length != 32) {
          throw new CaStateException(file + ": node " + e.getKey() + ": hash is not SHA-256");
        }
        next.put(e.getKey(), h);
      }
      hashes = Map.copyOf(next);
      loadedBytes = bytes;
    } catch (IOException e) {
      throw new CaStateException(file + ": cannot read: " + e, e);
    }
  }

  private static Map<String, String> readLines(Path file) throws IOException {
    return parseLines(Files.exists(file) ? Files.readAllBytes(file) : null);
  }

  private static Map<String, String> parseLines(byte[] bytes) {
    Map<String, String> out = new LinkedHashMap<>();
    if (bytes == null) {
      return out;
    }
    for (String line : new String(bytes, StandardCharsets.US_ASCII).split("\n")) {
      String l = line.strip();
      if (l.isEmpty() || l.startsWith("#")) {
        continue;
      }
      String[] parts = l.split("\\s+");
      if (parts.length == 2) {
        out.put(parts[0], parts[1]);
      }
    }
    return out;
  }

  private static byte[] sha256(String token) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
