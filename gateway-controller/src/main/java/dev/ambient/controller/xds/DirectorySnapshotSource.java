package dev.ambient.controller.xds;

import dev.ambient.api.config.MeshConfigLoader;
import dev.ambient.api.config.ParsedMeshConfig;
import dev.ambient.api.model.InvalidMeshConfigException;
import dev.ambient.api.model.MeshState;
import dev.ambient.ztunnel.state.StateHolder;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A directory of mesh YAML files ({@code *.yaml}, {@code *.yml}, not recursive, in name order) as
 * one snapshot: {@link MeshConfigLoader#parseDocuments} merges them, so a service in one file may
 * select workloads of another. The directory is polled; a changed set of files is applied whole or
 * not at all, and a bad one is logged once (naming file, object and field) while the last good
 * snapshot keeps serving. A directory without any such file is refused too: it is more likely a
 * rewrite in progress than an intended empty mesh.
 */
public final class DirectorySnapshotSource implements SnapshotSource {
  private static final Logger log = LoggerFactory.getLogger(DirectorySnapshotSource.class);

  private final Path dir;
  private final StateHolder holder = new StateHolder(MeshState.EMPTY);
  private final ScheduledExecutorService poller;
  private byte[] lastSeenHash;
  private byte[] lastGoodHash;
  private String lastProblem;
  private long version;
  private volatile boolean closed;

  private DirectorySnapshotSource(Path dir) {
    this.dir = dir.toAbsolutePath();
    this.poller =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "config-dir " + dir.getFileName());
              t.setDaemon(true);
              return t;
            });
  }

  /** Loads the directory (throwing if it cannot be used) and starts polling it. */
  public static DirectorySnapshotSource start(Path dir, Duration pollInterval)
      throws IOException, InvalidMeshConfigException {
    DirectorySnapshotSource source = new DirectorySnapshotSource(dir);
    try {
      synchronized (source) {
        Map<String, byte[]> files = source.read();
        ParsedMeshConfig parsed = MeshConfigLoader.parseDocuments(files, source.dir.toString());
        source.applyLocked(MeshState.of(parsed.config(), 1), parsed, hash(files));
      }
    } catch (IOException | InvalidMeshConfigException | RuntimeException e) {
      source.close();
      throw e;
    }
    long poll = pollInterval.toMillis();
    source.poller.scheduleWithFixedDelay(source::safeReload, poll, poll, TimeUnit.MILLISECONDS);
    return source;
  }

  /**
   * Reads the directory now and applies it if its files changed and are valid.
   *
   * @return true when a new snapshot was applied
   */
  public synchronized boolean reload() {
    if (closed) {
      return false;
    }
    Map<String, byte[]> files;
    try {
      files = read();
    } catch (IOException e) {
      reject(null, "cannot read: " + e.getMessage());
      return false;
    }
    byte[] h = hash(files);
    if (Arrays.equals(h, lastSeenHash)) {
      return false;
    }
    if (Arrays.equals(h, lastGoodHash)) {
      lastSeenHash = h;
      lastProblem = null;
      log.info("config {}: back to the content of version {}", dir, version);
      return false;
    }
    try {
      ParsedMeshConfig parsed = MeshConfigLoader.parseDocuments(files, dir.toString());
      applyLocked(MeshState.of(parsed.config(), version + 1), parsed, h);
      return true;
    } catch (InvalidMeshConfigException e) {
      reject(h, String.join("; ", e.problems()));
    } catch (RuntimeException e) {
      reject(h, "unexpected error: " + e);
    }
    return false;
  }

  private void applyLocked(MeshState next, ParsedMeshConfig parsed, byte[] h) {
    version = next.version();
    lastSeenHash = h;
    lastGoodHash = h;
    lastProblem = null;
    try {
      holder.apply(next);
    } catch (RuntimeException e) {
      log.error("config {}: a snapshot listener failed for version {}", dir, version, e);
    }
    log.info(
        "config {}: applied version {} ({} workloads, {} services, {} policies)",
        dir,
        version,
        next.workloads().size(),
        next.services().size(),
        next.policies().size());
    for (String note : parsed.notes()) {
      log.info("config {}: note: {}", dir, note);
    }
  }

  private void reject(byte[] h, String problem) {
    if (h != null ? Arrays.equals(h, lastSeenHash) : problem.equals(lastProblem)) {
      return; // reported already
    }
    lastSeenHash = h;
    lastProblem = problem;
    log.warn("config {}: keeping last good snapshot (version {}): {}", dir, version, problem);
  }

  private void safeReload() {
    try {
      reload();
    } catch (RuntimeException e) {
      log.error("config {}: reload failed", dir, e);
    }
  }

  /** The YAML files by file name, in name order. */
  private Map<String, byte[]> read() throws IOException {
    if (!Files.isDirectory(dir)) {
      throw new IOException(dir + " is not a directory");
    }
    List<Path> paths = new ArrayList<>();
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
      for (Path p : entries) {
        String name = p.getFileName().toString();
        if ((name.endsWith(".yaml") || name.endsWith(".yml"))
            && !name.startsWith(".")
            && Files.isRegularFile(p)) {
          paths.add(p);
        }
      }
    }
    if (paths.isEmpty()) {
      throw new IOException(dir + ": no *.yaml or *.yml files");
    }
    paths.sort(null);
    Map<String, byte[]> out = new LinkedHashMap<>();
    long total = 0;
    for (Path p : paths) {
      long size = Files.size(p);
      total += size;
      if (total > MeshConfigLoader.MAX_DOCUMENT_SIZE) {
        throw new IOException(
            dir
                + ": files are more than "
                + MeshConfigLoader.MAX_DOCUMENT_SIZE
                + " bytes together");
      }
      out.put(p.toString(), Files.readAllBytes(p));
    }
    return out;
  }

  private static byte[] hash(Map<String, byte[]> files) {
    try {
      MessageDigest d = MessageDigest.getInstance("SHA-256");
      for (Map.Entry<String, byte[]> e : files.entrySet()) {
        d.update(e.getKey().getBytes(java.nio.charset.StandardCharsets.UTF_8));
        d.update((byte) 0);
        d.update(
            Long.toString(e.getValue().length).getBytes(java.nio.charset.StandardCharsets.UTF_8));
        d.update((byte) 0);
        d.update(e.getValue());
      }
      return d.digest();
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required by the Java platform", e);
    }
  }

  @Override
  public MeshState current() {
    return holder.current();
  }

  @Override
  public void onChange(Consumer<MeshState> listener) {
    holder.onChange(listener);
  }

  @Override
  public void close() {
    closed = true;
    poller.shutdownNow();
  }
}
