package dev.ambient.ztunnel.inpod;

import dev.ambient.netlab.Pod;
import java.io.IOException;

/**
 * The in-pod redirection rules (Istio's, reduced to what TCP capture needs), installed inside a
 * pod's netns for the integration tests: inbound TCP except HBONE to 15006; outbound TCP to 15001
 * except loopback and ztunnel's own marked sockets. The CNI step's rules (issue 4 part 2) are the
 * production version; these keep the ztunnel tests independent of it.
 */
final class PodRules {
  private PodRules() {}

  static void install(Pod pod) throws IOException {
    String mark = "0x" + Integer.toHexString(SocketOptions.ZTUNNEL_MARK) + "/0xfff";
    iptables(
        pod,
        "-t",
        "nat",
        "-A",
        "PREROUTING",
        "-p",
        "tcp",
        "!",
        "-d",
        "127.0.0.1/32",
        "!",
        "--dport",
        "15008",
        "-j",
        "REDIRECT",
        "--to-ports",
        "15006");
    iptables(pod, "-t", "nat", "-A", "OUTPUT", "-o", "lo", "-j", "RETURN");
    iptables(pod, "-t", "nat", "-A", "OUTPUT", "-m", "mark", "--mark", mark, "-j", "RETURN");
    iptables(
        pod, "-t", "nat", "-A", "OUTPUT", "-p", "tcp", "-j", "REDIRECT", "--to-ports", "15001");
  }

  private static void iptables(Pod pod, String... args) throws IOException {
    String[] argv = new String[args.length + 2];
    argv[0] = "iptables";
    argv[1] = "-w";
    System.arraycopy(args, 0, argv, 2, args.length);
    pod.exec(argv);
  }
}
