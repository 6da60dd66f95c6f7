package dev.ambient.netlab;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** Named network namespaces ({@code ip netns}), and the processes living in them. */
final class Netns {
  static final Path DIR = Path.of("/var/run/netns");

  private Netns() {}

  static Path path(String name) {
    return DIR.resolve(name);
  }

  static List<String> execArgv(String netns, String... argv) {
    List<String> out = new ArrayList<>(List.of(Exec.locate("ip"), "netns", "exec", netns));
    out.addAll(List.of(argv));
    return out;
  }

  /** Every named namespace on the machine. */
  static List<String> list() throws IOException {
    List<String> out = new ArrayList<>();
    for (String line : Exec.run("ip", "netns", "list").split("\n")) {
      String trimmed = line.strip();
      if (!trimmed.isEmpty()) {
        // "name (id: 3)" when the namespace has a peer id.
        int space = trimmed.indexOf(' ');
        out.add(space < 0 ? trimmed : trimmed.substring(0, space));
      }
    }
    return out;
  }

  static boolean exists(String name) {
    return Files.exists(path(name));
  }

  /**
   * Kills every process whose network namespace is {@code name} (never this JVM), and waits for
   * them to go, so that deleting the namespace really frees it.
   */
  static void killProcesses(String name) throws IOException {
    if (!exists(name)) {
      return;
    }
    long self = ProcessHandle.current().pid();
    List<ProcessHandle> victims = new ArrayList<>();
    for (String line : Exec.run("ip", "netns", "pids", name).split("\n")) {
      String trimmed = line.strip();
      if (trimmed.isEmpty()) {
        continue;
      }
      long pid = Long.parseLong(trimmed);
      if (pid != self) {
        ProcessHandle.of(pid).ifPresent(victims::add);
      }
    }
    for (ProcessHandle h : victims) {
      h.descendants().forEach(ProcessHandle::destroyForcibly);
      h.destroyForcibly();
    }
    for (ProcessHandle h : victims) {
      try {
        h.onExit().get(5, TimeUnit.SECONDS);
      } catch (ExecutionException | TimeoutException e) {
        throw new IOException("process " + h.pid() + " in netns " + name + " did not exit", e);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted while killing processes in netns " + name, e);
      }
    }
  }

  /**
   * Kills its processes and deletes the namespace (with every interface inside it); absent is ok.
   */
  static void delete(String name) throws IOException {
    if (!exists(name)) {
      return;
    }
    killProcesses(name);
    Exec.run("ip", "netns", "del", name);
  }
}
