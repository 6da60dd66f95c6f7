package dev.ambient.controller.ca;

import dev.ambient.ztunnel.identity.Pem;
import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The CA's own root in a state directory. Layout:
 *
 * <pre>
 *   root-cert.pem                  signing root (0644)
 *   trust-bundle.pem               every trusted root (0644): what CA clients should trust, so
 *                                  they accept the CA's serving certificate across a rotation
 *   root-key.pem                   its key (0600, refused if group/others can read it)
 *   roots/trusted-roots.properties &lt;serial-hex&gt;=&lt;trust-until ISO instant&gt; of retired roots
 *   roots/&lt;serial-hex&gt;.pem          each retired root, trusted until its instant
 * </pre>
 *
 * <p>A {@code rotate-root} run by another process is picked up: the files' modification times are
 * compared on each use and the store reloads when they change.
 */
public final class RootStore implements SigningMaterial {
  public static final String ROOT_CERT = "root-cert.pem";
  public static final String ROOT_KEY = "root-key.pem";
  public static final String TRUST_BUNDLE = "trust-bundle.pem";
  static final String ROOTS_DIR = "roots";
  static final String TRUST_FILE = "trusted-roots.properties";
  static final Duration ROOT_LIFETIME = Duration.ofDays(3650);

  private static final Logger log = LoggerFactory.getLogger(RootStore.class);

  private record Retired(X509Certificate root, Instant trustUntil) {}

  private record Loaded(
      Signer signer, List<Retired> retired, FileTime certTime, FileTime trustTime) {}

  private final Path stateDir;
  private final String trustDomain;
  private final Clock clock;
  private Loaded loaded;

  private RootStore(Path stateDir, String trustDomain, Clock clock, Loaded loaded) {
    this.stateDir = stateDir;
    this.trustDomain = trustDomain;
    this.clock = clock;
    this.loaded = loaded;
  }

  /** Loads the root from the state directory, creating one on first start. */
  public static RootStore open(Path stateDir, String trustDomain, Clock clock)
      throws CaStateException {
    try {
      SecureFiles.createPrivateDirectory(stateDir);
    } catch (IOException e) {
      throw new CaStateException("CA state dir " + stateDir + ": cannot create: " + e, e);
    }
    Path cert = stateDir.resolve(ROOT_CERT);
    Path key = stateDir.resolve(ROOT_KEY);
    boolean haveCert = Files.exists(cert);
    boolean haveKey = Files.exists(key);
    if (!haveCert && !haveKey) {
      writeNewRoot(stateDir, trustDomain, clock.instant());
      log.info("created CA root for trust domain {} in {}", trustDomain, stateDir);
    } else if (haveCert != haveKey) {
      throw new CaStateException(
          "CA state dir "
              + stateDir
              + " has "
              + (haveCert ? ROOT_CERT + " but no " + ROOT_KEY : ROOT_KEY + " but no " + ROOT_CERT)
              + "; restore the missing file or remove both to create a new root");
    }
    RootStore store = new RootStore(stateDir, trustDomain, clock, load(stateDir));
    store.writeBundle();
    return store;
  }

  public static RootStore open(Path stateDir, String trustDomain) throws CaStateException {
    return open(stateDir, trustDomain, Clock.systemUTC());
  }

  public Path rootCertPath() {
    return stateDir.resolve(ROOT_CERT);
  }

  /** Every trusted root as PEM, rewritten at start and rotation: the file to give CA clients. */
  public Path trustBundlePath() {
    return stateDir.resolve(TRUST_BUNDLE);
  }

  private void writeBundle() throws CaStateException {
    try {
      SecureFiles.write(
          trustBundlePath(),
          Pem.certificates(trustBundle()).getBytes(StandardCharsets.US_ASCII),
          SecureFiles.PUBLIC);
    } catch (IOException e) {
      throw new CaStateException(
          "CA state dir " + stateDir + ": cannot write trust bundle: " + e, e);
    }
  }

  public Path stateDir() {
    return stateDir;
  }

  /** The current signing root. */
  public synchronized X509Certificate root() {
    refresh();
    return loaded.signer().certificate();
  }

  @Override
  public synchronized Signer signer() {
    refresh();
    return loaded.signer();
  }

  @Override
  public synchronized List<X509Certificate> trustBundle() {
    refresh();
    Instant now = clock.instant();
    List<X509Certificate> out = new ArrayList<>();
    out.add(loaded.signer().certificate());
    for (Retired r : loaded.retired()) {
      if (now.isBefore(r.trustUntil())) {
        out.add(r.root());
      }
    }
    return out;
  }

  @Override
  public String describe() {
    return "CA root " + rootCertPath() + " (state dir " + stateDir + ")";
  }

  /**
   * Makes a new root that signs from now on; the current root stays in the trust bundle until now +
   * overlap so certificates it issued keep working while workloads pick up the new bundle.
   */
  public synchronized X509Certificate rotate(Duration overlap) throws CaStateException {
    if (overlap.isNegative()) {
      throw new CaStateException("root rotation overlap must not be negative: " + overlap);
    }
    refresh();
    Instant now = clock.instant();
    X509Certificate old = loaded.signer().certificate();
    Map<String, Instant> trust = new TreeMap<>();
    for (Retired r : loaded.retired()) {
      if (now.isBefore(r.trustUntil())) {
        trust.put(serialHex(r.root()), r.trustUntil());
      }
    }
    trust.put(serialHex(old), now.plus(overlap));
    Path rootsDir = stateDir.resolve(ROOTS_DIR);
    try {
      SecureFiles.write(
          rootsDir.resolve(serialHex(old) + ".pem"),
          Pem.certificate(old).getBytes(StandardCharsets.US_ASCII),
          SecureFiles.PUBLIC);
      writeTrust(rootsDir, trust);
      pruneRetiredFiles(rootsDir, trust);
    } catch (IOException e) {
      throw new CaStateException("CA state dir " + stateDir + ": cannot record old root: " + e, e);
    }
    X509Certificate fresh = writeNewRoot(stateDir, trustDomain, now);
    loaded = load(stateDir);
    writeBundle();
    log.info(
        "rotated CA root: new serial {}, old serial {} trusted until {}",
        serialHex(fresh),
        serialHex(old),
        now.plus(overlap));
    return fresh;
  }

  private void refresh() {
    try {
      FileTime certTime = mtime(stateDir.resolve(ROOT_CERT));
      FileTime trustTime = mtime(stateDir.resolve(ROOTS_DIR).resolve(TRUST_FILE));
      if (!certTime.equals(loaded.certTime()) || !equalsNullable(trustTime, loaded.trustTime())) {
        loaded = load(stateDir);
        log.info("reloaded CA root from {}", stateDir);
      }
    } catch (CaStateException | IOException e) {
      // Keep signing with what we have: a half-written rotation must not stop issuance.
      log.warn(
          "CA root reload from {} failed, keeping the loaded root: {}", stateDir, e.getMessage());
    }
  }

  private static boolean equalsNullable(Object a, Object b) {
    return a == null ? b == null : a.equals(b);
  }

  private static FileTime mtime(Path p) throws IOException {
    return Files.exists(p) ? Files.getLastModifiedTime(p) : null;
  }

  private static X509Certificate writeNewRoot(Path stateDir, String trustDomain, Instant now)
      throws CaStateException {
    KeyPair key = X509Builder.newP256();
    X509Certificate root =
        X509Builder.selfSignedRoot(
            key, trustDomain, now.minus(Duration.ofMinutes(1)), now.plus(ROOT_LIFETIME));
    try {
      // Key first: a crash in between leaves a key/cert mismatch that load() reports clearly.
      SecureFiles.write(
          stateDir.resolve(ROOT_KEY),
          Pem.privateKey(key.getPrivate()).getBytes(StandardCharsets.US_ASCII),
          SecureFiles.PRIVATE);
      SecureFiles.write(
          stateDir.resolve(ROOT_CERT),
          Pem.certificate(root).getBytes(StandardCharsets.US_ASCII),
          SecureFiles.PUBLIC);
    } catch (IOException e) {
      throw new CaStateException("CA state dir " + stateDir + ": cannot write root: " + e, e);
    }
    return root;
  }

  private static Loaded load(Path stateDir) throws CaStateException {
    Path certFile = stateDir.resolve(ROOT_CERT);
    Path keyFile = stateDir.resolve(ROOT_KEY);
    try {
      FileTime certTime = mtime(certFile);
      Path trustFile = stateDir.resolve(ROOTS_DIR).resolve(TRUST_FILE);
      FileTime trustTime = mtime(trustFile);
      X509Certificate cert = KeyMaterial.readCertificate(certFile, "CA root certificate");
      PrivateKey key = KeyMaterial.readPrivateKey(keyFile, "CA root key");
      if (!KeyMaterial.matches(key, cert.getPublicKey())) {
        throw new CaStateException(
            "CA root key " + keyFile + " does not belong to certificate " + certFile);
      }
      if (!KeyMaterial.isCa(cert)) {
        throw new CaStateException("CA root certificate " + certFile + " is not a CA certificate");
      }
      List<Retired> retired = new ArrayList<>();
      for (Map.Entry<String, Instant> e : readTrust(trustFile).entrySet()) {
        Path p = stateDir.resolve(ROOTS_DIR).resolve(e.getKey() + ".pem");
        if (Files.exists(p)) {
          retired.add(new Retired(KeyMaterial.readCertificate(p, "retired CA root"), e.getValue()));
        }
      }
      return new Loaded(
          new Signer(key, cert, List.of()), List.copyOf(retired), certTime, trustTime);
    } catch (IOException e) {
      throw new CaStateException("CA state dir " + stateDir + ": cannot read: " + e, e);
    }
  }

  private static Map<String, Instant> readTrust(Path file) throws CaStateException {
    Map<String, Instant> out = new TreeMap<>();
    if (!Files.exists(file)) {
      return out;
    }
    Properties p = new Properties();
    try {
      p.load(new StringReader(Files.readString(file, StandardCharsets.UTF_8)));
    } catch (IOException e) {
      throw new CaStateException("CA trust list " + file + ": cannot read: " + e, e);
    }
    for (String serial : p.stringPropertyNames()) {
      if (!serial.matches("[0-9a-f]{1,40}")) {
        throw new CaStateException("CA trust list " + file + ": bad serial key " + serial);
      }
      try {
        out.put(serial, Instant.parse(p.getProperty(serial).strip()));
      } catch (DateTimeParseException e) {
        throw new CaStateException(
            "CA trust list " + file + ": entry " + serial + ": trust-until is not an ISO instant");
      }
    }
    return out;
  }

  private static void writeTrust(Path rootsDir, Map<String, Instant> trust) throws IOException {
    StringWriter w = new StringWriter();
    w.write("# retired CA roots: serial (hex) = trusted until\n");
    for (Map.Entry<String, Instant> e : trust.entrySet()) {
      w.write(e.getKey() + "=" + e.getValue() + "\n");
    }
    SecureFiles.write(
        rootsDir.resolve(TRUST_FILE),
        w.toString().getBytes(StandardCharsets.UTF_8),
        SecureFiles.PUBLIC);
  }

  private static void pruneRetiredFiles(Path rootsDir, Map<String, Instant> keep)
      throws IOException {
    try (var files = Files.list(rootsDir)) {
      for (Path p : (Iterable<Path>) files::iterator) {
        String name = p.getFileName().toString();
        if (name.endsWith(".pem") && !keep.containsKey(name.substring(0, name.length() - 4))) {
          Files.deleteIfExists(p);
        }
      }
    }
  }

  static String serialHex(X509Certificate cert) {
    return cert.getSerialNumber().toString(16);
  }
}
