package dev.ambient.wasm.envoy;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A real Envoy started from a static bootstrap, with its admin interface on an ephemeral loopback
 * port (read from {@code --admin-address-path}). Files go to the caller's directory (a JUnit
 * {@code @TempDir}). {@link #close()} kills the process; use it in try-with-resources or
 * {@code @AfterEach}/{@code @AfterAll} so a failing test never leaves an Envoy behind.
 */
public final class EnvoyProcess implements AutoCloseable {
  private static final Duration START_TIMEOUT = Duration.ofSeconds(90);
  private static final Pattern LISTENER_PORT =
      Pattern.compile(
          "\"name\":\\s*\"([^\"]+)\",\\s*\"local_address\":\\s*\\{\\s*\"socket_address\":\\s*\\{[^}]*\"port_value\":\\s*(\\d+)");

  private final Process process;
  private final Path dir;
  private final HttpClient http =
      HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  private String admin;
  private long readyNanos;

  private EnvoyProcess(Process process, Path dir) {
    this.process = process;
    this.dir = dir;
  }

  /** Starts Envoy on {@code bootstrap} and waits until it is ready, or throws with its log. */
  public static EnvoyProcess start(Path envoy, Path dir, String bootstrap) throws IOException {
    long t0 = System.nanoTime();
    EnvoyProcess p = new EnvoyProcess(launch(envoy, dir, bootstrap), dir);
    try {
      p.awaitReady();
      p.readyNanos = System.nanoTime() - t0;
      return p;
    } catch (IOException | RuntimeException e) {
      p.close();
      throw e;
    }
  }

  /**
   * Runs Envoy on a bootstrap that it is expected to reject, and returns its exit code (or -1 if it
   * was still running after the timeout and had to be killed) and log.
   */
  public static Exit runExpectingExit(Path envoy, Path dir, String bootstrap) throws IOException {
    Process proc = launch(envoy, dir, bootstrap);
    try {
      boolean exited = proc.waitFor(START_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
      int code = exited ? proc.exitValue() : -1;
      return new Exit(code, readLog(dir));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted waiting for envoy", e);
    } finally {
      kill(proc);
    }
  }

  /** How a rejected start ended. */
  public static final class Exit {
    public final int code;
    public final String log;

    Exit(int code, String log) {
      this.code = code;
      this.log = log;
    }
  }

  private static Process launch(Path envoy, Path dir, String bootstrap) throws IOException {
    Path config = dir.resolve("envoy.yaml");
    Files.writeString(config, bootstrap);
    Files.deleteIfExists(dir.resolve("admin.txt"));
    List<String> cmd = new ArrayList<>();
    cmd.add(envoy.toString());
    cmd.add("-c");
    cmd.add(config.toString());
    // One worker: the tests and the benchmark reason about a single event loop.
    cmd.add("--concurrency");
    cmd.add("1");
    // No shared-memory hot-restart region, so parallel test Envoys never collide on a base id.
    cmd.add("--disable-hot-restart");
    cmd.add("--admin-address-path");
    cmd.add(dir.resolve("admin.txt").toString());
    cmd.add("--log-path");
    cmd.add(dir.resolve("envoy.log").toString());
    cmd.add("-l");
    cmd.add("info");
    // Log and access-log files are buffered and flushed every 10 s by default; tests read them.
    cmd.add("--file-flush-interval-msec");
    cmd.add("100");
    return new ProcessBuilder(cmd)
        .redirectErrorStream(true)
        .redirectOutput(dir.resolve("envoy.stdout").toFile())
        .start();
  }

  private void awaitReady() throws IOException {
    long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
    Path adminFile = dir.resolve("admin.txt");
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new IllegalStateException(
            "envoy exited with " + process.exitValue() + " before it was ready:\n" + log());
      }
      if (admin == null && Files.exists(adminFile)) {
        String a = Files.readString(adminFile).trim();
        admin = a.isEmpty() ? null : a;
      }
      if (admin != null) {
        try {
          HttpResponse<String> r = adminGet("/ready");
          if (r.statusCode() == 200) {
            return;
          }
        } catch (IOException e) {
          // admin not accepting yet
        }
      }
      sleep(50);
    }
    throw new IllegalStateException("envoy not ready within " + START_TIMEOUT + ":\n" + log());
  }

  /** Time from process start to the admin's {@code /ready} answering 200 (listeners up). */
  public Duration startupTime() {
    return Duration.ofNanos(readyNanos);
  }

  public long pid() {
    return process.pid();
  }

  /** The port the named listener is bound to (listeners use port 0 in the bootstrap). */
  public int listenerPort(String name) throws IOException {
    String json = adminGet("/listeners?format=json").body();
    Matcher m = LISTENER_PORT.matcher(json);
    while (m.find()) {
      if (m.group(1).equals(name)) {
        return Integer.parseInt(m.group(2));
      }
    }
    throw new IllegalStateException("no listener " + name + " in " + json);
  }

  public HttpResponse<String> adminGet(String path) throws IOException {
    HttpRequest req =
        HttpRequest.newBuilder(URI.create("http://" + admin + path))
            .timeout(Duration.ofSeconds(10))
            .build();
    try {
      return http.send(req, HttpResponse.BodyHandlers.ofString());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    }
  }

  /**
   * Waits until Envoy's log contains {@code text} (log files are flushed periodically), and returns
   * the log; throws with the log if it never appears.
   */
  public String awaitLog(String text) {
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    while (System.nanoTime() < deadline) {
      String log = log();
      if (log.contains(text)) {
        return log;
      }
      sleep(50);
    }
    throw new AssertionError("envoy log never contained \"" + text + "\":\n" + log());
  }

  /** Envoy's own log ({@code --log-path}) so far. */
  public String log() {
    return readLog(dir);
  }

  private static String readLog(Path dir) {
    StringBuilder sb = new StringBuilder();
    for (String f : new String[] {"envoy.log", "envoy.stdout"}) {
      Path p = dir.resolve(f);
      if (Files.exists(p)) {
        try {
          sb.append(new String(Files.readAllBytes(p), StandardCharsets.UTF_8));
        } catch (IOException e) {
          sb.append("(cannot read ").append(f).append(": ").append(e.getMessage()).append(")\n");
        }
      }
    }
    return sb.toString();
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }

  private static void kill(Process p) {
    if (!p.isAlive()) {
      return;
    }
    p.destroy();
    try {
      if (!p.waitFor(5, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        p.waitFor(5, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      p.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void close() {
    kill(process);
  }
}
