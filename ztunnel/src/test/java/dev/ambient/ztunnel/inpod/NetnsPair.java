package dev.ambient.ztunnel.inpod;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * Two fresh network namespaces joined by a veth pair (10.213.N.1 and .2), for the low-level tests.
 * Names start with {@code zt6-}; leftovers of aborted runs with that prefix are removed first.
 */
final class NetnsPair implements AutoCloseable {
  static final String PREFIX = "zt6-";

  final String a;
  final String b;
  final InetAddress ipA;
  final InetAddress ipB;

  NetnsPair() throws IOException {
    removeLeftovers();
    String id = Integer.toHexString(ThreadLocalRandom.current().nextInt(0x10000, 0xfffff));
    int subnet = ThreadLocalRandom.current().nextInt(1, 250);
    a = PREFIX + id + "a";
    b = PREFIX + id + "b";
    ipA = InetAddress.getByName("10.213." + subnet + ".1");
    ipB = InetAddress.getByName("10.213." + subnet + ".2");
    try {
      run("ip", "netns", "add", a);
      run("ip", "netns", "add", b);
      run("ip", "-n", a, "link", "add", "eth0", "type", "veth", "peer", "name", "eth0", "netns", b);
      run("ip", "-n", a, "addr", "add", ipA.getHostAddress() + "/24", "dev", "eth0");
      run("ip", "-n", b, "addr", "add", ipB.getHostAddress() + "/24", "dev", "eth0");
      for (String ns : List.of(a, b)) {
        run("ip", "-n", ns, "link", "set", "eth0", "up");
        run("ip", "-n", ns, "link", "set", "lo", "up");
      }
    } catch (IOException | RuntimeException e) {
      close();
      throw e;
    }
  }

  static Path path(String ns) {
    return Path.of("/var/run/netns", ns);
  }

  static boolean isRoot() {
    return "root".equals(System.getProperty("user.name"));
  }

  /** Runs a command in {@code ns}; fails with its output on a non-zero exit. */
  static String exec(String ns, String... command) throws IOException {
    List<String> full = new ArrayList<>(List.of("ip", "netns", "exec", ns));
    full.addAll(List.of(command));
    return run(full.toArray(String[]::new));
  }

  static String run(String... command) throws IOException {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    try {
      if (!p.waitFor(30, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IOException("timed out: " + String.join(" ", command));
      }
    } catch (InterruptedException e) {
      p.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new IOException("interrupted: " + String.join(" ", command), e);
    }
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (p.exitValue() != 0) {
      throw new IOException(String.join(" ", command) + " exited " + p.exitValue() + ": " + out);
    }
    return out;
  }

  private static void removeLeftovers() throws IOException {
    for (String line : run("ip", "netns", "list").split("\n")) {
      String name = line.split(" ")[0].trim();
      // Only ours, and only from runs at least a minute old would be ideal; the prefix is unique to
      // these tests, which never run concurrently within one build.
      if (name.startsWith(PREFIX) && !name.isEmpty()) {
        deleteQuietly(name);
      }
    }
  }

  private static void deleteQuietly(String ns) {
    try {
      run("ip", "netns", "del", ns);
    } catch (IOException e) {
      // already gone
    }
  }

  @Override
  public void close() {
    deleteQuietly(a);
    deleteQuietly(b);
  }
}
