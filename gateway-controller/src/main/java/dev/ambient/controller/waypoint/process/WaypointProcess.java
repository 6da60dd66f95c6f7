package dev.ambient.controller.waypoint.process;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One waypoint Envoy: a child process with a static bootstrap pointing at the waypoint ADS server
 * (node id = waypoint name), admin on an ephemeral loopback port, and its log in the work
 * directory. {@link #close} stops it (SIGTERM, then SIGKILL after a grace period).
 */
public final class WaypointProcess implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(WaypointProcess.class);
  private static final Duration STOP_GRACE = Duration.ofSeconds(5);

  private final Process process;
  private final Path workDir;
  private final String nodeId;

  private WaypointProcess(Process process, Path workDir, String nodeId) {
    this.process = process;
    this.workDir = workDir;
    this.nodeId = nodeId;
  }

  /**
   * Starts Envoy. The bootstrap holds the ADS token, so it is written owner-only; the work
   * directory must be private to this controller.
   */
  public static WaypointProcess start(
      Path envoy, Path workDir, String nodeId, InetSocketAddress ads, String token)
      throws IOException {
    return start(
        envoy,
        workDir,
        nodeId,
        WaypointBootstrap.json(WaypointBootstrap.build(nodeId, ads, token)));
  }

  /**
   * Starts Envoy with a bootstrap made elsewhere (the waypoint agent's), written owner-only into
   * the work directory as for {@link #start(Path, Path, String, InetSocketAddress, String)}.
   */
  public static WaypointProcess start(Path envoy, Path workDir, String nodeId, String bootstrapJson)
      throws IOException {
    Files.createDirectories(workDir);
    Path bootstrap = workDir.resolve("bootstrap.json");
    Files.deleteIfExists(bootstrap);
    Files.createFile(
        bootstrap,
        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    Files.writeString(
        bootstrap, bootstrapJson, StandardCharsets.UTF_8, StandardOpenOption.TRUNCATE_EXISTING);
    Path adminFile = workDir.resolve("admin-address");
    Files.deleteIfExists(adminFile);
    List<String> cmd =
        List.of(
            envoy.toString(),
            "-c",
            bootstrap.toString(),
            "--concurrency",
            "1",
            "--disable-hot-restart",
            "--admin-address-path",
            adminFile.toString(),
            "--log-level",
            "info",
            "--drain-time-s",
            "1");
    Process p =
        new ProcessBuilder(cmd)
            .redirectErrorStream(true)
            .redirectOutput(workDir.resolve("envoy.log").toFile())
            .start();
    LOG.info(
        "waypoint {}: Envoy started (pid {}), log {}",
        nodeId,
        p.pid(),
        workDir.resolve("envoy.log"));
    return new WaypointProcess(p, workDir, nodeId);
  }

  public boolean isAlive() {
    return process.isAlive();
  }

  /** Waits for Envoy to exit; returns its exit code. */
  public int waitFor() throws InterruptedException {
    return process.waitFor();
  }

  public long pid() {
    return process.pid();
  }

  public Path log() {
    return workDir.resolve("envoy.log");
  }

  /** The admin address once Envoy wrote it (waits up to {@code timeout}). */
  public InetSocketAddress adminAddress(Duration timeout) throws IOException, InterruptedException {
    Path file = workDir.resolve("admin-address");
    Instant until = Instant.now().plus(timeout);
    while (Instant.now().isBefore(until)) {
      if (!process.isAlive()) {
        throw new IOException("Envoy for " + nodeId + " exited with " + process.exitValue());
      }
      if (Files.exists(file)) {
        String s = Files.readString(file).trim();
        int colon = s.lastIndexOf(':');
        if (colon > 0) {
          return new InetSocketAddress(
              s.substring(0, colon), Integer.parseInt(s.substring(colon + 1)));
        }
      }
      Thread.sleep(50);
    }
    throw new IOException("Envoy for " + nodeId + " did not report its admin address");
  }

  @Override
  public void close() {
    if (!process.isAlive()) {
      return;
    }
    process.destroy();
    try {
      if (!process.waitFor(STOP_GRACE.toMillis(), TimeUnit.MILLISECONDS)) {
        process.destroyForcibly().waitFor(STOP_GRACE.toMillis(), TimeUnit.MILLISECONDS);
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
    LOG.info("waypoint {}: Envoy stopped", nodeId);
  }
}
