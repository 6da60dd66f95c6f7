package dev.ambient.netlab;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Path;

/**
 * A node of the lab: its own network namespace (the node's "host network") holding a Linux bridge
 * that its pods hang off. Processes that play the node's agents (ztunnel, the CNI step) can run
 * inside it with {@link #command}.
 *
 * @param name short node name, e.g. {@code a}
 * @param netns the namespace name, as {@code ip netns list} shows it
 * @param netnsPath {@code /var/run/netns/<netns>}, what {@code setns}/{@code nsenter} take
 * @param bridge the bridge device inside the node namespace
 * @param bridgeIp the bridge's address: the first host of {@code podCidr}, the pods' gateway
 * @param podCidr the node's pod range, e.g. {@code 10.71.1.0/24}
 */
public record Node(
    String name,
    String netns,
    Path netnsPath,
    String bridge,
    InetAddress bridgeIp,
    String podCidr) {

  /** A process builder that runs {@code argv} inside this node's namespace. */
  public ProcessBuilder command(String... argv) {
    return new ProcessBuilder(Netns.execArgv(netns, argv));
  }

  /** Starts {@code argv} inside this node's namespace; the lab kills it on close. */
  public Process start(String... argv) throws IOException {
    return command(argv).start();
  }

  /** Runs {@code argv} inside the namespace to completion and returns its stdout. */
  public String exec(String... argv) throws IOException {
    return Exec.run(Netns.execArgv(netns, argv), null);
  }
}
