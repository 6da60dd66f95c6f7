package dev.ambient.controller.demo;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Starts mesh components as child JVMs from the running jar and guarantees they stop: on {@link
 * #close}, and from a shutdown hook when the demo is interrupted (Ctrl-C).
 */
final class ChildProcesses implements AutoCloseable {
  private final List<Process> processes = new ArrayList<>();
  private final Thread hook = new Thread(this::stopAll, "demo-stop-children");

  ChildProcesses() {
    Runtime.getRuntime().addShutdownHook(hook);
  }

  /** Runs {@code mesh <args>} in a child JVM, stdout and stderr into {@code log}. */
  synchronized Process start(Path log, List<String> args) throws IOException {
    List<String> command = new ArrayList<>();
    command.add(javaBinary());
    command.add("-Xss512k");
    command.add("-XX:+UseSerialGC");
    command.add("-XX:TieredStopAtLevel=1");
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add("dev.ambient.controller.cli.MeshCommand");
    command.addAll(args);
    Process p =
        new ProcessBuilder(command)
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
            .start();
    processes.add(p);
    return p;
  }

  /** Runs {@code mesh <args>} to completion and fails if it exits non-zero. */
  void runToCompletion(Path log, List<String> args) throws IOException, InterruptedException {
    Process p = start(log, args);
    if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new IOException("'mesh " + String.join(" ", args) + "' failed; see " + log);
    }
    synchronized (this) {
      processes.remove(p);
    }
  }

  private static String javaBinary() {
    return ProcessHandle.current()
        .info()
        .command()
        .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
  }

  /** SIGTERM first, so ztunnels drain; then force whatever is left. */
  private synchronized void stopAll() {
    for (Process p : processes) {
      p.destroy();
    }
    for (Process p : processes) {
      try {
        if (!p.waitFor(10, TimeUnit.SECONDS)) {
          p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        }
      } catch (InterruptedException e) {
        p.destroyForcibly();
        Thread.currentThread().interrupt();
      }
    }
    processes.clear();
  }

  @Override
  public void close() {
    stopAll();
    try {
      Runtime.getRuntime().removeShutdownHook(hook);
    } catch (IllegalStateException alreadyShuttingDown) {
      // The hook is running or has run; nothing left to do.
    }
  }
}
