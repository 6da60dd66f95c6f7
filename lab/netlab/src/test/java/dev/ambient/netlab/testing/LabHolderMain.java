package dev.ambient.netlab.testing;

import dev.ambient.netlab.NetLab;

/**
 * Builds a small lab, prints its prefix and waits to be killed: the tests send it SIGTERM (what
 * Ctrl-C amounts to) and check the shutdown hook removed everything.
 */
public final class LabHolderMain {
  private LabHolderMain() {}

  public static void main(String[] args) throws Exception {
    NetLab lab = NetLab.create();
    var a = lab.node("a", "10.71.1.0/24");
    var b = lab.node("b", "10.71.2.0/24");
    lab.link(a, b);
    lab.pod(a, "p1");
    lab.start(lab.pod(b, "p2"), "sleep", "300");
    System.out.println(lab.prefix());
    System.out.flush();
    Thread.sleep(Long.MAX_VALUE);
  }
}
