package dev.ambient.lab;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Drives the lab cluster through the project's own launcher, as a user would: `./mesh lab ...`.
 * Tests of any module that need a real Kubernetes use it (test scope).
 */
public final class LabCluster {
  /** Where `./mesh lab up` leaves the admin kubeconfig (the default state directory). */
  public static final Path ADMIN_KUBECONFIG = Path.of("/run/ambient-lab/admin.kubeconfig");

  /** What a finished command printed and how it ended. */
  public record Result(int exitCode, String stdout, String stderr) {
    public Result orThrow(String what) {
      if (exitCode != 0) {
        throw new IllegalStateException(
            what + " failed with exit code " + exitCode + ":\n" + stdout + "\n" + stderr);
      }
      return this;
    }
  }

  private final Path repo;

  public LabCluster(Path repo) {
    this.repo = repo;
  }

  /** The repository root, found from the test's working directory (the module's). */
  public static Path findRepo() {
    Path dir = Path.of("").toAbsolutePath();
    while (dir != null && !Files.isRegularFile(dir.resolve("mesh"))) {
      dir = dir.getParent();
    }
    if (dir == null) {
      throw new IllegalStateException("cannot find the repository root (no ./mesh above the test)");
    }
    return dir;
  }

  /** Why the lab cannot run here, if it cannot: it needs root, Go and iptables. */
  public static Optional<String> unavailableReason() {
    if (!"root".equals(System.getProperty("user.name"))) {
      return Optional.of("skipped: the lab cluster needs root (network namespaces, iptables)");
    }
    for (String tool : List.of("go", "ip", "iptables", "nsenter", "curl")) {
      if (!onPath(tool)) {
        return Optional.of("skipped: the lab cluster needs '" + tool + "' on PATH");
      }
    }
    return Optional.empty();
  }

  private static boolean onPath(String tool) {
    String path = System.getenv().getOrDefault("PATH", "");
    for (String dir : path.split(":")) {
      if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, tool))) {
        return true;
      }
    }
    return false;
  }

  /**
   * Skips the calling test, with the reason printed, unless the launcher jar the lab runs as the
   * mesh's images is built.
   */
  public static void assumeMeshJarBuilt() {
    boolean jar = Files.isRegularFile(findRepo().resolve("gateway-controller/target/mesh.jar"));
    if (!jar) {
      System.out.println(
          "skipped: gateway-controller/target/mesh.jar is not built (run ./mesh build)");
    }
    org.junit.jupiter.api.Assumptions.assumeTrue(jar, "skipped: mesh.jar is not built");
  }

  public Result mesh(Duration timeout, String... args) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>();
    command.add(repo.resolve("mesh").toString());
    command.add("lab");
    command.addAll(List.of(args));
    return run(command, timeout, null);
  }

  /** Runs the project's launcher, {@code ./mesh <args>}. */
  public Result launcher(Duration timeout, String... args)
      throws IOException, InterruptedException {
    List<String> command = new ArrayList<>();
    command.add(repo.resolve("mesh").toString());
    command.addAll(List.of(args));
    return run(command, timeout, null);
  }

  public Result kubectl(String... args) throws IOException, InterruptedException {
    return kubectlWithInput(null, args);
  }

  public Result kubectlWithInput(String stdin, String... args)
      throws IOException, InterruptedException {
    List<String> command =
        new ArrayList<>(List.of(repo.resolve("mesh").toString(), "lab", "kubectl"));
    command.addAll(List.of(args));
    return run(command, Duration.ofMinutes(2), stdin);
  }

  /** kubectl whose failure fails the test, returning its trimmed output. */
  public String k(String... args) throws IOException, InterruptedException {
    return kubectl(args).orThrow("kubectl " + String.join(" ", args)).stdout().trim();
  }

  private Result run(List<String> command, Duration timeout, String stdin)
      throws IOException, InterruptedException {
    Path out = Files.createTempFile("lab-out", ".txt");
    Path err = Files.createTempFile("lab-err", ".txt");
    try {
      ProcessBuilder pb = new ProcessBuilder(command).directory(repo.toFile());
      pb.redirectOutput(out.toFile()).redirectError(err.toFile());
      if (stdin == null) {
        pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
      }
      Process p = pb.start();
      if (stdin != null) {
        try (var in = p.getOutputStream()) {
          in.write(stdin.getBytes(StandardCharsets.UTF_8));
        }
      }
      if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly().waitFor();
        throw new IllegalStateException(
            String.join(" ", command)
                + " did not finish within "
                + timeout
                + ":\n"
                + Files.readString(out)
                + Files.readString(err));
      }
      return new Result(p.exitValue(), Files.readString(out), Files.readString(err));
    } finally {
      Files.deleteIfExists(out);
      Files.deleteIfExists(err);
    }
  }
}
