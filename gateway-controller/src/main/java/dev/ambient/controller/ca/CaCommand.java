package dev.ambient.controller.ca;

import dev.ambient.api.model.MeshState;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.function.Supplier;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code ./mesh ca serve|token|rotate-root}: the certificate authority. */
@Command(
    name = "ca",
    mixinStandardHelpOptions = true,
    description = "The mesh certificate authority (istio.v1.auth.IstioCertificateService).",
    subcommands = {CaCommand.Serve.class, CaCommand.Token.class, CaCommand.RotateRoot.class})
public final class CaCommand implements Callable<Integer> {
  static final String DEFAULT_STATE_DIR = ".mesh/ca";

  /** Opens the CA's live view of the mesh from the {@code --config} file. */
  @FunctionalInterface
  public interface MeshViewFactory {
    Supplier<MeshState> open(Path configFile) throws Exception;
  }

  private final MeshViewFactory meshViews;
  @Spec CommandSpec spec;

  public CaCommand() {
    this(CaCommand::configFileMeshView);
  }

  /** For callers (and tests) that bring their own mesh view. */
  public CaCommand(MeshViewFactory meshViews) {
    this.meshViews = meshViews;
  }

  static Supplier<MeshState> configFileMeshView(Path config) throws Exception {
    // INTEGRATOR: wire the YAML loader here, i.e. replace the next line with
    //   return new ReloadingMeshView(config, dev.ambient.api.config.MeshConfigLoader::load);
    throw new CaStateException("--config " + config + ": mesh config loading is not wired yet");
  }

  @Override
  public Integer call() {
    spec.commandLine().usage(spec.commandLine().getOut());
    return 0;
  }

  @Command(
      name = "serve",
      mixinStandardHelpOptions = true,
      description = "Run the CA over gRPC/TLS 1.3 (default 127.0.0.1:15012).")
  static final class Serve implements Callable<Integer> {
    @ParentCommand CaCommand parent;
    @Spec CommandSpec spec;

    @Option(
        names = "--state-dir",
        defaultValue = DEFAULT_STATE_DIR,
        description = "CA state (root, tokens). Default: ${DEFAULT-VALUE}")
    Path stateDir;

    @Option(
        names = "--trust-domain",
        defaultValue = "cluster.local",
        description = "Default: ${DEFAULT-VALUE}")
    String trustDomain;

    @Option(
        names = "--listen",
        defaultValue = "127.0.0.1:15012",
        description = "host:port. Default: ${DEFAULT-VALUE}")
    String listen;

    @Option(
        names = "--max-ttl",
        defaultValue = "24h",
        description = "Longest leaf lifetime (e.g. 24h, 30m, 90s). Default: ${DEFAULT-VALUE}")
    String maxTtl;

    @Option(
        names = "--config",
        required = true,
        description = "Mesh YAML: which workloads run on which node.")
    Path config;

    @Option(
        names = "--ca-cert",
        description = "Signer certificate (instead of the state dir's own root).")
    Path caCert;

    @Option(names = "--ca-key", description = "Signer key (0600).")
    Path caKey;

    @Option(
        names = "--ca-chain",
        description = "Further intermediates, closest to the signer first.")
    Path caChain;

    @Option(names = "--root-cert", description = "Root bundle the signer chains to.")
    Path rootCert;

    @Override
    public Integer call() throws Exception {
      PrintWriter out = spec.commandLine().getOut();
      PrintWriter err = spec.commandLine().getErr();
      try {
        Duration ttl = parseDuration("--max-ttl", maxTtl);
        InetSocketAddress address = parseListen(listen);
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
        Supplier<MeshState> mesh = parent.meshViews.open(config);
        CertificateAuthority ca = new CertificateAuthority(material, trustDomain, ttl);
        CaServer server =
            new CaServer(address, ca, new NodeAuthorizer(mesh), BootstrapTokens.open(stateDir));
        server.start();
        Thread hook = new Thread(server::stop, "ca-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        out.println("CA root certificate: " + rootPath.toAbsolutePath());
        out.println("CA trust bundle (give this to ztunnels): " + bundlePath.toAbsolutePath());
        out.println("CA state dir: " + stateDir.toAbsolutePath());
        out.println("CA trust domain: " + trustDomain + ", max TTL " + ttl);
        out.println(
            "CA listening on " + address.getAddress().getHostAddress() + ":" + server.port());
        out.flush();
        try {
          server.awaitTermination();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        } finally {
          server.stop();
          try {
            Runtime.getRuntime().removeShutdownHook(hook);
          } catch (IllegalStateException shuttingDown) {
            // The JVM is exiting and runs the hook itself.
          }
        }
        return 0;
      } catch (CaStateException | IllegalArgumentException e) {
        err.println("ca serve: " + e.getMessage());
        return 1;
      }
    }
  }

  @Command(
      name = "token",
      mixinStandardHelpOptions = true,
      description = "Make a bootstrap token for a node's ztunnel (the CA keeps only its hash).")
  static final class Token implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(
        names = "--state-dir",
        defaultValue = DEFAULT_STATE_DIR,
        description = "Default: ${DEFAULT-VALUE}")
    Path stateDir;

    @Option(names = "--node", required = true, description = "Node name.")
    String node;

    @Option(
        names = "--out",
        description = "Token file (0600). Default: <state-dir>/tokens/<node>.token")
    Path out;

    @Override
    public Integer call() {
      try {
        Path written = BootstrapTokens.issue(stateDir, node, out);
        spec.commandLine()
            .getOut()
            .println("token for node " + node + " written to " + written.toAbsolutePath());
        return 0;
      } catch (CaStateException e) {
        spec.commandLine().getErr().println("ca token: " + e.getMessage());
        return 1;
      }
    }
  }

  @Command(
      name = "rotate-root",
      mixinStandardHelpOptions = true,
      description =
          "Make a new root; the old one stays trusted for --overlap. A running CA picks it up.")
  static final class RotateRoot implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(
        names = "--state-dir",
        defaultValue = DEFAULT_STATE_DIR,
        description = "Default: ${DEFAULT-VALUE}")
    Path stateDir;

    @Option(
        names = "--trust-domain",
        defaultValue = "cluster.local",
        description = "Default: ${DEFAULT-VALUE}")
    String trustDomain;

    @Option(
        names = "--overlap",
        defaultValue = "24h",
        description = "How long the old root stays trusted. Default: ${DEFAULT-VALUE}")
    String overlap;

    @Override
    public Integer call() {
      try {
        Duration d = parseDuration("--overlap", overlap);
        if (!java.nio.file.Files.exists(stateDir.resolve(RootStore.ROOT_CERT))) {
          throw new CaStateException("no CA root in " + stateDir + " to rotate");
        }
        RootStore store = RootStore.open(stateDir, trustDomain);
        var fresh = store.rotate(d);
        spec.commandLine()
            .getOut()
            .println(
                "new CA root serial "
                    + RootStore.serialHex(fresh)
                    + " in "
                    + store.rootCertPath().toAbsolutePath()
                    + "; the old root stays trusted for "
                    + d);
        return 0;
      } catch (CaStateException | IllegalArgumentException e) {
        spec.commandLine().getErr().println("ca rotate-root: " + e.getMessage());
        return 1;
      }
    }
  }

  /**
   * {@code 90s}, {@code 30m}, {@code 24h}, {@code 7d}, {@code 500ms} or ISO-8601 ({@code PT24H}).
   */
  static Duration parseDuration(String option, String text) {
    String t = text.strip().toLowerCase(Locale.ROOT);
    try {
      if (t.startsWith("p")) {
        return positive(option, Duration.parse(t.toUpperCase(Locale.ROOT)));
      }
      if (t.endsWith("ms")) {
        return positive(option, Duration.ofMillis(Long.parseLong(t.substring(0, t.length() - 2))));
      }
      long n = Long.parseLong(t.substring(0, t.length() - 1));
      return positive(
          option,
          switch (t.charAt(t.length() - 1)) {
            case 's' -> Duration.ofSeconds(n);
            case 'm' -> Duration.ofMinutes(n);
            case 'h' -> Duration.ofHours(n);
            case 'd' -> Duration.ofDays(n);
            default -> throw new NumberFormatException();
          });
    } catch (NumberFormatException | DateTimeParseException | StringIndexOutOfBoundsException e) {
      throw new IllegalArgumentException(
          option + ": \"" + text + "\" is not a duration like 90s, 30m, 24h or PT24H");
    }
  }

  private static Duration positive(String option, Duration d) {
    if (d.isNegative()) {
      throw new IllegalArgumentException(option + ": must not be negative");
    }
    return d;
  }

  /** {@code host:port} or {@code [v6]:port}; the host must be an IP literal or resolvable. */
  static InetSocketAddress parseListen(String text) {
    int colon = text.lastIndexOf(':');
    if (colon <= 0) {
      throw new IllegalArgumentException("--listen: \"" + text + "\" is not host:port");
    }
    String host = text.substring(0, colon);
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    }
    int port;
    try {
      port = Integer.parseInt(text.substring(colon + 1));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("--listen: port of \"" + text + "\" is not a number");
    }
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("--listen: port " + port + " is not in 0..65535");
    }
    try {
      return new InetSocketAddress(InetAddress.getByName(host), port);
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException("--listen: unknown host " + host);
    }
  }

  /** Runs {@code ca} on its own (the integrator mounts CaCommand under the mesh command). */
  public static void main(String[] args) {
    System.exit(new CommandLine(new CaCommand()).execute(args));
  }
}
