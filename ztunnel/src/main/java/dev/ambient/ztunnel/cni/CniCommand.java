package dev.ambient.ztunnel.cni;

import dev.ambient.api.config.CliValues;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code mesh cni add|del|resync}: the CNI step of a node (see {@link CniPlugin}). Exit codes: 0
 * done (also "not ambient"), 1 ztunnel refused or unreachable (add rolled back), 2 bad input, 3
 * unknown pod, 4 iptables failed.
 */
@Command(
    name = "cni",
    mixinStandardHelpOptions = true,
    description =
        "Capture a pod's traffic into the node's ztunnel (the CNI agent's role; needs root).",
    subcommands = {
      CniCommand.Add.class,
      CniCommand.Del.class,
      CniCommand.Resync.class,
      CniCommand.Plugin.class
    })
public final class CniCommand implements Runnable {
  public static final String DEFAULT_SOCKET = "/var/run/ztunnel/ztunnel.sock";
  public static final String DEFAULT_STATE_DIR = "/var/run/ambient/cni";

  @Spec CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  /** Options every subcommand shares. */
  static final class Common {
    @Spec(Spec.Target.MIXEE)
    CommandSpec spec;

    @Option(
        names = "--socket",
        defaultValue = DEFAULT_SOCKET,
        description = "ztunnel's unix socket. Default: ${DEFAULT-VALUE}.")
    Path socket;

    @Option(
        names = "--state-dir",
        defaultValue = DEFAULT_STATE_DIR,
        description = "Where captured pods are recorded. Default: ${DEFAULT-VALUE}.")
    Path stateDir;

    @Option(
        names = "--timeout",
        defaultValue = "10s",
        description = "How long to wait for each answer of ztunnel. Default: ${DEFAULT-VALUE}.")
    String timeout;

    CniPlugin plugin() {
      Duration t;
      try {
        t = CliValues.duration("--timeout", timeout);
      } catch (IllegalArgumentException e) {
        throw new ParameterException(spec.commandLine(), e.getMessage());
      }
      return new CniPlugin(socket, stateDir, t);
    }

    int report(CniPlugin.Outcome outcome) {
      PrintWriter w = outcome.ok() ? spec.commandLine().getOut() : spec.commandLine().getErr();
      outcome.lines().forEach(w::println);
      w.flush();
      return outcome.exitCode();
    }
  }

  @Command(
      name = "add",
      mixinStandardHelpOptions = true,
      description = "A pod started: install its capture rules and hand it to ztunnel.")
  static final class Add implements Callable<Integer> {
    @Mixin Common common;

    @Option(names = "--netns", required = true, description = "The pod's network namespace file.")
    Path netns;

    @Option(names = "--pod", required = true, description = "<namespace>/<name>.")
    String pod;

    @Option(names = "--config", required = true, description = "The mesh YAML file.")
    Path config;

    @Option(names = "--node", required = true, description = "This node's name.")
    String node;

    @Override
    public Integer call() {
      return common.report(common.plugin().add(netns, pod, config, node));
    }
  }

  @Command(
      name = "del",
      mixinStandardHelpOptions = true,
      description = "A pod stopped: tell ztunnel, remove its rules and its record.")
  static final class Del implements Callable<Integer> {
    @Mixin Common common;

    @Option(names = "--pod", required = true, description = "<namespace>/<name>.")
    String pod;

    @Option(
        names = "--netns",
        description = "The pod's network namespace (default: the one recorded at add).")
    Path netns;

    @Override
    public Integer call() {
      return common.report(common.plugin().del(pod, netns));
    }
  }

  @Command(
      name = "resync",
      mixinStandardHelpOptions = true,
      description =
          "After a ztunnel restart: re-send every recorded pod, then the end of snapshot.")
  static final class Resync implements Callable<Integer> {
    @Mixin Common common;

    @Override
    public Integer call() {
      return common.report(common.plugin().resync());
    }
  }

  @Command(
      name = "plugin",
      description =
          "The CNI plugin (CNI spec 1.0): CNI_COMMAND etc. in the environment, the network"
              + " configuration on stdin, the result or error on stdout. install-cni puts a launcher"
              + " for it into the node's CNI bin directory.")
  static final class Plugin implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Override
    public Integer call() throws java.io.IOException {
      String stdin = new String(System.in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
      CniSpecPlugin.Result r = CniSpecPlugin.standard().run(System.getenv(), stdin);
      PrintWriter out = spec.commandLine().getOut();
      out.print(r.stdout());
      out.flush();
      PrintWriter err = spec.commandLine().getErr();
      err.print(r.stderr());
      err.flush();
      return r.exitCode();
    }
  }
}
