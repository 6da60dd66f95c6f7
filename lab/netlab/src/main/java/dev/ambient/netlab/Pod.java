package dev.ambient.netlab;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Path;

/**
 * A pod: a network namespace with {@code eth0} on its node's bridge, one address from the node's
 * pod range, a default route via the bridge and {@code lo} up.
 *
 * @param name pod name, unique on its node
 * @param netns the namespace name, as {@code ip netns list} shows it
 * @param netnsPath {@code /var/run/netns/<netns>}, what the CNI step hands to ztunnel
 * @param ip the pod's address on {@code eth0}
 * @param node the node whose bridge the pod hangs off
 */
public record Pod(String name, String netns, Path netnsPath, InetAddress ip, Node node) {

  /** The pod's interface name inside its namespace. */
  public static final String INTERFACE = "eth0";

  /** A process builder that runs {@code argv} inside this pod's namespace. */
  public ProcessBuilder command(String... argv) {
    return new ProcessBuilder(Netns.execArgv(netns, argv));
  }

  /**
   * Starts {@code argv} inside the pod's namespace. The lab kills every process still inside its
   * namespaces when it closes, so the caller need not, though it may.
   */
  public Process start(String... argv) throws IOException {
    return command(argv).start();
  }

  /** Runs {@code argv} inside the namespace to completion and returns its stdout. */
  public String exec(String... argv) throws IOException {
    return Exec.run(Netns.execArgv(netns, argv), null);
  }
}
