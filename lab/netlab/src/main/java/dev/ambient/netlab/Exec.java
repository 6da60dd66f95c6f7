package dev.ambient.netlab;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * Runs the system tools ({@code ip}, {@code iptables-restore}, {@code nsenter}, ...) and turns
 * every failure into an {@link IOException} that names the command line and its stderr, because
 * "exit status 2" alone never explains a broken lab.
 */
public final class Exec {
  /** Longest a single administrative command may take; they normally finish in milliseconds. */
  private static final long TIMEOUT_SECONDS = 30;

  /** /usr/sbin is often not on a non-login PATH, yet that is where ip and iptables live. */
  private static final List<String> EXTRA_DIRS = List.of("/usr/sbin", "/sbin", "/usr/bin", "/bin");

  private Exec() {}

  /**
   * Runs {@code argv}; returns its stdout, or throws naming the command, exit status and stderr.
   */
  public static String run(String... argv) throws IOException {
    return run(List.of(argv), null);
  }

  /** As {@link #run(String...)}, feeding {@code stdin} (may be null) to the command. */
  public static String run(List<String> argv, String stdin) throws IOException {
    List<String> command = resolved(argv);
    ProcessBuilder pb = new ProcessBuilder(command);
    Process process;
    try {
      process = pb.start();
    } catch (IOException e) {
      throw new IOException(describe(argv) + ": cannot start: " + e.getMessage(), e);
    }
    // One own thread per stream: the common pool may have a single worker on a small machine,
    // and a full stderr pipe would then block the command forever.
    CompletableFuture<String> err = drain(process.getErrorStream());
    CompletableFuture<String> out = drain(process.getInputStream());
    try {
      try (var in = process.getOutputStream()) {
        if (stdin != null) {
          in.write(stdin.getBytes(StandardCharsets.UTF_8));
        }
      }
      if (!process.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        throw new IOException(describe(argv) + ": no answer within " + TIMEOUT_SECONDS + " s");
      }
      String stdout = out.get();
      String stderr = err.get().strip();
      if (process.exitValue() != 0) {
        throw new IOException(
            describe(argv)
                + ": exit "
                + process.exitValue()
                + (stderr.isEmpty() ? "" : ": " + stderr));
      }
      return stdout;
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new IOException(describe(argv) + ": interrupted", e);
    } catch (ExecutionException e) {
      throw new IOException(describe(argv) + ": reading its output: " + e.getCause(), e);
    }
  }

  /** True when {@code tool} is an executable on the PATH or in the usual sbin directories. */
  public static boolean available(String tool) {
    return find(tool) != null;
  }

  /** The absolute path of {@code tool} if it can be found, else {@code tool} itself. */
  public static String locate(String tool) {
    Path p = find(tool);
    return p == null ? tool : p.toString();
  }

  static String describe(List<String> argv) {
    return "command `" + String.join(" ", argv) + "`";
  }

  private static List<String> resolved(List<String> argv) {
    List<String> out = new ArrayList<>(argv);
    if (!out.isEmpty() && !out.get(0).contains("/")) {
      out.set(0, locate(out.get(0)));
    }
    return out;
  }

  private static Path find(String tool) {
    List<String> dirs = new ArrayList<>();
    String path = System.getenv("PATH");
    if (path != null) {
      dirs.addAll(Arrays.asList(path.split(":")));
    }
    dirs.addAll(EXTRA_DIRS);
    for (String dir : dirs) {
      if (dir.isEmpty()) {
        continue;
      }
      Path candidate = Path.of(dir, tool);
      if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
        return candidate;
      }
    }
    return null;
  }

  private static CompletableFuture<String> drain(InputStream in) {
    CompletableFuture<String> result = new CompletableFuture<>();
    Thread t =
        new Thread(
            () -> {
              try (in) {
                ByteArrayOutputStream buf = new ByteArrayOutputStream();
                in.transferTo(buf);
                result.complete(buf.toString(StandardCharsets.UTF_8));
              } catch (IOException e) {
                result.completeExceptionally(e);
              }
            },
            "netlab-exec-drain");
    t.setDaemon(true);
    t.start();
    return result;
  }
}
