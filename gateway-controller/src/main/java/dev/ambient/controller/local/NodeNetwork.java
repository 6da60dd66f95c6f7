package dev.ambient.controller.local;

import dev.ambient.netlab.Exec;
import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Set;

/**
 * A node of the local mesh as the network sees it: the network namespace holding the node's pod
 * bridge ({@code mesh netns up} and the tests' NetLab make them), its bridge and the bridge's pod
 * range. Local waypoints are given an address on it, like the node's pods.
 *
 * @param node the node name (the pods' {@code spec.nodeName})
 * @param netns the node's network namespace
 * @param bridge the bridge device in it
 * @param gateway the bridge's address (the waypoint's default route)
 * @param network the pod range's network address, as an int
 * @param prefixLength the pod range's prefix length
 */
public record NodeNetwork(
    String node, String netns, String bridge, InetAddress gateway, int network, int prefixLength) {

  /**
   * Reads the node's bridge from its namespace ({@code --waypoint-node NODE=NETNS}): the one bridge
   * with an IPv4 address.
   */
  public static NodeNetwork discover(String node, String netns) throws IOException {
    // "ip addr show" ignores "type", so the bridges are listed first, then their addresses.
    String links = Exec.run("ip", "-n", netns, "-o", "link", "show", "type", "bridge");
    for (String link : links.split("\n")) {
      // "2: al12-br: <BROADCAST,...> ..."
      String[] parts = link.split(":", 3);
      if (parts.length < 2) {
        continue;
      }
      String bridge = parts[1].strip();
      String out = Exec.run("ip", "-n", netns, "-o", "-4", "addr", "show", "dev", bridge);
      for (String line : out.split("\n")) {
        // "2: al12-br    inet 10.71.1.1/24 scope global al12-br\ ..."
        String[] f = line.trim().split("\\s+");
        if (f.length >= 4 && "inet".equals(f[2])) {
          String[] cidr = f[3].split("/");
          InetAddress gw = InetAddress.getByName(cidr[0]);
          int length = Integer.parseInt(cidr[1]);
          int mask = length == 0 ? 0 : -1 << (32 - length);
          return new NodeNetwork(node, netns, bridge, gw, toInt(gw) & mask, length);
        }
      }
    }
    throw new IOException(
        "--waypoint-node " + node + "=" + netns + ": no bridge with an IPv4 address in " + netns);
  }

  /**
   * A free address for a waypoint, from the top of the range down (pods are numbered from the
   * bottom up, so the two rarely meet), skipping {@code taken}.
   */
  public InetAddress freeAddress(Set<String> taken) throws IOException {
    int hosts = (1 << (32 - prefixLength)) - 2;
    for (int h = hosts; h >= 2; h--) {
      InetAddress a = fromInt(network + h);
      if (!a.equals(gateway) && !taken.contains(a.getHostAddress())) {
        return a;
      }
    }
    throw new IOException("node " + node + ": no free address left in its pod range");
  }

  private static int toInt(InetAddress a) {
    byte[] b = a.getAddress();
    return ((b[0] & 0xff) << 24) | ((b[1] & 0xff) << 16) | ((b[2] & 0xff) << 8) | (b[3] & 0xff);
  }

  private static InetAddress fromInt(int v) {
    try {
      return InetAddress.getByAddress(
          new byte[] {(byte) (v >>> 24), (byte) (v >>> 16), (byte) (v >>> 8), (byte) v});
    } catch (UnknownHostException e) {
      throw new IllegalStateException(e);
    }
  }
}
