package dev.ambient.controller.ca;

import dev.ambient.api.config.CliValues;
import dev.ambient.api.model.MeshState;
import dev.ambient.ztunnel.config.ConfigWatcher;
import dev.ambient.ztunnel.state.StateHolder;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.function.Supplier;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
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

  /**
   * The same file watcher ztunnel uses: a bad edit keeps the last good view; a bad file at start is
   * an error. The watcher lives as long as the CA process.
   */
  static Supplier<MeshState> configFileMeshView(Path config) throws Exception {
    StateHolder holder = new StateHolder(MeshState.EMPTY);
    new ConfigWatcher(config, holder).start();
    return holder::current;
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

    @Mixin CaOptions caOptions;

    @Option(
        names = "--listen",
        defaultValue = "127.0.0.1:15012",
        description = "host:port. Default: ${DEFAULT-VALUE}")
    String listen;

    @Option(
        names = "--config",
        required = true,
        description = "Mesh YAML: which workloads run on which node.")
    Path config;

    @Override
    public Integer call() throws Exception {
      PrintWriter out = spec.commandLine().getOut();
      PrintWriter err = spec.commandLine().getErr();
      try {
        InetSocketAddress address = CliValues.hostPort("--listen", listen);
        CaOptions.Opened opened = caOptions.open();
        Supplier<MeshState> mesh = parent.meshViews.open(config);
        CaServer server =
            new CaServer(address, opened.ca(), new NodeAuthorizer(mesh), opened.tokens());
        server.start();
        Thread hook = new Thread(server::stop, "ca-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        opened.describe(out);
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
        Duration d = CliValues.duration("--overlap", overlap);
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

  /** Runs {@code ca} on its own (the integrator mounts CaCommand under the mesh command). */
  public static void main(String[] args) {
    System.exit(new CommandLine(new CaCommand()).execute(args));
  }
}
