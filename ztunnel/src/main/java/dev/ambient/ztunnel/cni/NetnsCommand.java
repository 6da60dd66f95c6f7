package dev.ambient.ztunnel.cni;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * Runs a tool inside a pod's network namespace ({@code nsenter --net=<path> ...}); a failure is an
 * {@link IOException} naming the command line and its stderr.
 */
final class NetnsCommand {
  private static final long TIMEOUT_SECONDS = 30;
  private static final List<String> DIRS = List.of("/usr/sbin", "/usr/bin", "/sbin", "/bin");

  private NetnsCommand() {}

  /**
   * Runs {@code argv} inside {@code netns}, feeding {@code stdin} (may be null); returns stdout.
   */
  static String run(Path netns, String stdin, String... argv) throws IOException {
    List<String> command = new ArrayList<>();
    command.add(locate("nsenter"));
    command.add("--net=" + netns);
    command.add(locate(argv[0]));
    command.addAll(List.of(argv).subList(1, argv.length));
    return exec(command, stdin);
  }

  /** True when {@code netns} is a live network namespace file that can be entered. */
  static boolean enterable(Path netns) {
    if (!Files.exists(netns)) {
      return false;
    }
    try {
      exec(List.of(locate("nsenter"), "--net=" + netns, locate("true")), null);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  static String exec(List<String> command, String stdin) throws IOException {
    String shown = "command `" + String.join(" ", command) + "`";
    Process p;
    try {
      p = new ProcessBuilder(command).start();
    } catch (IOException e) {
      throw new IOException(shown + ": cannot start: " + e.getMessage(), e);
    }
    CompletableFuture<String> err = drain(p.getErrorStream());
    CompletableFuture<String> out = drain(p.getInputStream());
    try {
      try (var in = p.getOutputStream()) {
        if (stdin != null) {
          in.write(stdin.getBytes(StandardCharsets.UTF_8));
        }
      }
      if (!p.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IOException(shown + ": no answer within " + TIMEOUT_SECONDS + " s");
      }
      String stderr = err.get().strip();
      if (p.exitValue() != 0) {
        throw new IOException(
            shown + ": exit " + p.exitValue() + (stderr.isEmpty() ? "" : ": " + stderr));
      }
      return out.get();
    } catch (InterruptedException e) {
      p.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new IOException(shown + ": interrupted", e);
    } catch (ExecutionException e) {
      throw new IOException(shown + ": reading its output: " + e.getCause(), e);
    }
  }

  /** The tools live in sbin, which a non-login PATH often lacks. */
  static String locate(String tool) {
    List<String> dirs = new ArrayList<>();
    String path = System.getenv("PATH");
    if (path != null) {
      dirs.addAll(List.of(path.split(":")));
    }
    dirs.addAll(DIRS);
    for (String dir : dirs) {
      if (!dir.isEmpty()) {
        Path candidate = Path.of(dir, tool);
        if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
          return candidate.toString();
        }
      }
    }
    return tool;
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
            "cni-command-output");
    t.setDaemon(true);
    t.start();
    return result;
  }
}
