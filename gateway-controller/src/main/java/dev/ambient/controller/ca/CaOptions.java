package dev.ambient.controller.ca;

import dev.ambient.api.config.CliValues;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import picocli.CommandLine.Option;

/**
 * The CA's command-line options and how they become a {@link CertificateAuthority}; shared by
 * {@code mesh ca serve} and {@code mesh controller serve}, which runs the same CA.
 */
public final class CaOptions {
  @Option(
      names = "--state-dir",
      defaultValue = CaCommand.DEFAULT_STATE_DIR,
      description = "CA state (root, tokens). Default: ${DEFAULT-VALUE}")
  Path stateDir;

  @Option(
      names = "--trust-domain",
      defaultValue = "cluster.local",
      description = "Default: ${DEFAULT-VALUE}")
  public String trustDomain;

  @Option(
      names = "--max-ttl",
      defaultValue = "24h",
      description = "Longest leaf lifetime (e.g. 24h, 30m, 90s). Default: ${DEFAULT-VALUE}")
  String maxTtl;

  @Option(
      names = "--ca-cert",
      description = "Signer certificate (instead of the state dir's own root).")
  Path caCert;

  @Option(names = "--ca-key", description = "Signer key (0600).")
  Path caKey;

  @Option(names = "--ca-chain", description = "Further intermediates, closest to the signer first.")
  Path caChain;

  @Option(names = "--root-cert", description = "Root bundle the signer chains to.")
  Path rootCert;

  /** A CA ready to sign, and where its root and trust bundle are. */
  public record Opened(
      CertificateAuthority ca,
      BootstrapTokens tokens,
      Path rootPath,
      Path bundlePath,
      Path stateDir,
      String trustDomain,
      Duration maxTtl) {

    /** The lines {@code ca serve} has always printed at start. */
    public void describe(PrintWriter out) {
      out.println("CA root certificate: " + rootPath.toAbsolutePath());
      out.println("CA trust bundle (give this to ztunnels): " + bundlePath.toAbsolutePath());
      out.println("CA state dir: " + stateDir.toAbsolutePath());
      out.println("CA trust domain: " + trustDomain + ", max TTL " + maxTtl);
    }
  }

  /**
   * Loads or creates the signing material.
   *
   * @throws CaStateException or IllegalArgumentException with a message for the operator
   */
  public Opened open() throws CaStateException {
    Duration ttl = CliValues.duration("--max-ttl", maxTtl);
    SigningMaterial material;
    Path rootPath;
    Path bundlePath;
    if (caCert != null || caKey != null || caChain != null || rootCert != null) {
      if (caCert == null || caKey == null || rootCert == null) {
        throw new CaStateException("--ca-cert, --ca-key and --root-cert go together");
      }
      material = FileSigner.load(caCert, caKey, caChain, rootCert);
      rootPath = rootCert;
      bundlePath = rootCert;
    } else {
      RootStore store = RootStore.open(stateDir, trustDomain);
      material = store;
      rootPath = store.rootCertPath();
      bundlePath = store.trustBundlePath();
    }
    return new Opened(
        new CertificateAuthority(material, trustDomain, ttl),
        BootstrapTokens.open(stateDir),
        rootPath,
        bundlePath,
        stateDir,
        trustDomain,
        ttl);
  }
}
