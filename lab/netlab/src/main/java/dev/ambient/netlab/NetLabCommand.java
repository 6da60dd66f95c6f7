package dev.ambient.netlab;

import java.io.IOException;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code mesh netns up|down|status}: a demo topology of nodes and pods as network namespaces, left
 * in place until {@code down}.
 */
@Command(
    name = "netns",
    mixinStandardHelpOptions = true,
    description = "Pods and nodes as network namespaces on this machine (needs root).",
    subcommands = {NetLabCommand.Up.class, NetLabCommand.Down.class, NetLabCommand.Status.class})
public final class NetLabCommand implements Runnable {
  static final String DEFAULT_PREFIX = "demo";

  @Spec CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  public static void main(String[] args) {
    System.exit(new CommandLine(new NetLabCommand()).execute(args));
  }

  /** Root check shared by the subcommands that change things. */
  static boolean unavailable(PrintWriter err) {
    Optional<String> reason = NetLab.unavailableReason();
    reason.ifPresent(r -> err.println("mesh netns: " + r.replaceFirst("^skipped: ", "")));
    return reason.isPresent();
  }

  @Command(
      name = "up",
      mixinStandardHelpOptions = true,
      description =
          "Create nodes (each a namespace with a bridge), link every pair of them, add pods.")
  static final class Up implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(
        names = "--prefix",
        defaultValue = DEFAULT_PREFIX,
        description = "Name prefix of every namespace and device. Default: ${DEFAULT-VALUE}.")
    String prefix;

    @Option(
        names = "--node",
        paramLabel = "NAME:CIDR",
        description =
            "A node and its pod range (repeatable). Default: a:10.71.1.0/24 b:10.71.2.0/24.")
    List<String> nodeSpecs = new ArrayList<>();

    @Option(
        names = "--pod",
        paramLabel = "NODE:NAME",
        description = "A pod on a node (repeatable), e.g. a:client b:server.")
    List<String> podSpecs = new ArrayList<>();

    @Override
    public Integer call() {
      PrintWriter out = spec.commandLine().getOut();
      PrintWriter err = spec.commandLine().getErr();
      if (unavailable(err)) {
        return 1;
      }
      List<String[]> nodeList = new ArrayList<>();
      List<String[]> podList = new ArrayList<>();
      try {
        for (String s :
            nodeSpecs.isEmpty() ? List.of("a:10.71.1.0/24", "b:10.71.2.0/24") : nodeSpecs) {
          nodeList.add(pair("--node", s));
        }
        for (String s : podSpecs) {
          podList.add(pair("--pod", s));
        }
      } catch (IllegalArgumentException e) {
        err.println("mesh netns up: " + e.getMessage());
        return 2;
      }
      NetLab lab;
      try {
        lab = NetLab.create(prefix);
      } catch (IOException | IllegalArgumentException e) {
        err.println("mesh netns up: " + e.getMessage());
        return 1;
      }
      try {
        Map<String, Node> nodes = new LinkedHashMap<>();
        for (String[] n : nodeList) {
          nodes.put(n[0], lab.node(n[0], n[1]));
        }
        List<Node> all = new ArrayList<>(nodes.values());
        for (int i = 0; i < all.size(); i++) {
          for (int j = i + 1; j < all.size(); j++) {
            lab.link(all.get(i), all.get(j));
          }
        }
        List<Pod> pods = new ArrayList<>();
        for (String[] p : podList) {
          Node node = nodes.get(p[0]);
          if (node == null) {
            throw new IllegalArgumentException("--pod " + p[0] + ":" + p[1] + ": no node " + p[0]);
          }
          pods.add(lab.pod(node, p[1]));
        }
        lab.keep();
        for (Node n : all) {
          out.printf(
              "node %-8s netns %-20s bridge %s %s (pods %s)%n",
              n.name(), n.netns(), n.bridge(), n.bridgeIp().getHostAddress(), n.podCidr());
        }
        for (Pod p : pods) {
          out.printf(
              "pod  %-8s netns %-20s ip %s on node %s (%s)%n",
              p.name(), p.netns(), p.ip().getHostAddress(), p.node().name(), p.netnsPath());
        }
        out.println("remove with: mesh netns down --prefix " + prefix);
        return 0;
      } catch (IOException | RuntimeException e) {
        err.println("mesh netns up: " + e.getMessage() + " (nothing left behind)");
        lab.close();
        return 1;
      }
    }
  }

  @Command(
      name = "down",
      mixinStandardHelpOptions = true,
      description = "Remove a topology by prefix (its namespaces, devices and processes).")
  static final class Down implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(
        names = "--prefix",
        defaultValue = DEFAULT_PREFIX,
        description = "Default: ${DEFAULT-VALUE}.")
    String prefix;

    @Option(
        names = "--leftovers",
        description = "Instead: remove labs of test runs whose JVM is gone (prefix al????).")
    boolean leftovers;

    @Override
    public Integer call() {
      PrintWriter out = spec.commandLine().getOut();
      PrintWriter err = spec.commandLine().getErr();
      if (unavailable(err)) {
        return 1;
      }
      try {
        int removed =
            leftovers
                ? NetLab.cleanupLeftovers(NetLab.RANDOM_PREFIX_PATTERN)
                : NetLab.destroy(prefix);
        out.println("removed " + removed + " namespace(s)/device(s)");
        return 0;
      } catch (IOException | IllegalArgumentException e) {
        err.println("mesh netns down: " + e.getMessage());
        return 1;
      }
    }
  }

  @Command(
      name = "status",
      mixinStandardHelpOptions = true,
      description = "List the labs on this machine: namespaces, owners and addresses.")
  static final class Status implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Override
    public Integer call() {
      PrintWriter out = spec.commandLine().getOut();
      PrintWriter err = spec.commandLine().getErr();
      try {
        Map<String, List<String>> byPrefix = new TreeMap<>();
        for (String ns : Netns.list()) {
          int dash = ns.indexOf('-');
          if (dash > 0) {
            byPrefix.computeIfAbsent(ns.substring(0, dash), k -> new ArrayList<>()).add(ns);
          }
        }
        for (String p : LabOwner.claimedPrefixes()) {
          byPrefix.computeIfAbsent(p, k -> new ArrayList<>());
        }
        // Other tools' namespaces are not ours: a prefix counts with an owner file, or when it
        // follows the test labs' scheme (a leftover of a killed run).
        byPrefix
            .keySet()
            .removeIf(
                p -> LabOwner.describe(p).isEmpty() && !p.matches(NetLab.RANDOM_PREFIX_PATTERN));
        if (byPrefix.isEmpty()) {
          out.println("no labs");
          return 0;
        }
        for (Map.Entry<String, List<String>> e : byPrefix.entrySet()) {
          String owner = LabOwner.describe(e.getKey()).orElse("no owner file");
          String state = LabOwner.isAbandoned(e.getKey()) ? " (abandoned)" : "";
          out.println("lab " + e.getKey() + ": " + owner + state);
          for (String ns : e.getValue()) {
            out.println("  " + ns + "  " + String.join(" ", addresses(ns)));
          }
        }
        return 0;
      } catch (IOException e) {
        err.println("mesh netns status: " + e.getMessage());
        return 1;
      }
    }

    private static List<String> addresses(String ns) throws IOException {
      List<String> out = new ArrayList<>();
      for (String line : Exec.run("ip", "-n", ns, "-4", "-o", "addr", "show").split("\n")) {
        // "2: eth0    inet 10.71.1.2/24 brd ... scope global eth0"
        String[] f = line.trim().split("\\s+");
        if (f.length >= 4 && f[2].equals("inet") && !f[1].equals("lo")) {
          out.add(f[1] + "=" + f[3]);
        }
      }
      return out;
    }
  }

  private static String[] pair(String option, String value) {
    int colon = value.indexOf(':');
    if (colon <= 0 || colon == value.length() - 1) {
      throw new IllegalArgumentException(option + " " + value + ": expected two parts around ':'");
    }
    return new String[] {value.substring(0, colon), value.substring(colon + 1)};
  }
}
