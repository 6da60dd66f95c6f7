package dev.ambient.ztunnel.config;

import dev.ambient.api.config.MeshConfigLoader;
import dev.ambient.api.config.ParsedMeshConfig;
import dev.ambient.api.model.InvalidMeshConfigException;
import dev.ambient.api.model.MeshState;
import dev.ambient.ztunnel.state.StateHolder;
import java.io.Closeable;
import java.io.IOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.Arrays;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps a {@link StateHolder} in step with one mesh YAML file.
 *
 * <p>Changes are noticed two ways: a {@link WatchService} on the file's directory (fast), and a
 * periodic content-hash check (reliable: editors and Kubernetes ConfigMaps replace files by rename
 * or symlink swap, which directory watches report inconsistently, and some file systems report
 * nothing). Either way the content is hashed, and only new content is parsed.
 *
 * <p>A new file is applied whole or not at all: it is parsed and indexed ({@link MeshState#of})
 * before {@link StateHolder#apply}; on any problem the last good state keeps serving and the
 * problems are logged once per distinct content. Writers should replace the file atomically (write
 * a temporary file, then rename), since a half-written file may happen to be valid YAML.
 */
public final class ConfigWatcher implements Closeable {
  private static final Logger log = LoggerFactory.getLogger(ConfigWatcher.class);

  /** How long a burst of directory events is given to settle before the file is read. */
  private static final long SETTLE_MILLIS = 50;

  private final Path file;
  private final StateHolder holder;
  private final Duration pollInterval;
  private final AtomicBoolean started = new AtomicBoolean();
  private volatile boolean closed;
  private ScheduledExecutorService executor;
  private WatchService watchService;
  private Thread watchThread;

  /** Hash of the content last looked at (valid or not), so bad content is reported once. */
  private byte[] lastSeenHash;

  private String lastSeenProblem;

  /** Hash of the content of the state in force. */
  private byte[] lastGoodHash;

  private long version;

  public ConfigWatcher(Path file, StateHolder holder) {
    this(file, holder, Duration.ofSeconds(1));
  }

  public ConfigWatcher(Path file, StateHolder holder, Duration pollInterval) {
    this.file = Objects.requireNonNull(file, "file").toAbsolutePath();
    this.holder = Objects.requireNonNull(holder, "holder");
    this.pollInterval = Objects.requireNonNull(pollInterval, "pollInterval");
    if (pollInterval.isNegative() || pollInterval.isZero()) {
      throw new IllegalArgumentException("poll interval must be positive: " + pollInterval);
    }
  }

  /**
   * Loads and applies the file, then starts watching it. A file that cannot be loaded is the
   * caller's error to report (the process should exit non-zero with the exception's message);
   * nothing is applied and nothing is watched then.
   *
   * @return the applied state
   */
  public MeshState start() throws IOException, InvalidMeshConfigException {
    if (!started.compareAndSet(false, true)) {
      throw new IllegalStateException("config watcher already started");
    }
    MeshState initial;
    synchronized (this) {
      byte[] content = read();
      ParsedMeshConfig parsed = MeshConfigLoader.parseDetailed(content, file.toString());
      long next = Math.max(holder.current().version(), 0) + 1;
      initial = MeshState.of(parsed.config(), next);
      applyLocked(initial, parsed, hash(content));
    }
    executor =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "config-watcher " + file.getFileName());
              t.setDaemon(true);
              return t;
            });
    long poll = pollInterval.toMillis();
    executor.scheduleWithFixedDelay(this::safeReload, poll, poll, TimeUnit.MILLISECONDS);
    startDirectoryWatch();
    return initial;
  }

  /**
   * Reads the file now and applies it if its content changed and is valid.
   *
   * @return {@code true} when a new state was applied
   */
  public synchronized boolean reload() {
    if (closed) {
      return false;
    }
    byte[] content;
    try {
      content = read();
    } catch (IOException e) {
      reject(null, "cannot read file: " + e);
      return false;
    }
    byte[] h = hash(content);
    if (Arrays.equals(h, lastSeenHash)) {
      return false;
    }
    if (Arrays.equals(h, lastGoodHash)) {
      // A bad edit was reverted: what is in force already is this content.
      lastSeenHash = h;
      lastSeenProblem = null;
      log.info("config {}: back to the content of version {}", file, version);
      return false;
    }
    ParsedMeshConfig parsed;
    MeshState next;
    try {
      parsed = MeshConfigLoader.parseDetailed(content, file.toString());
      next = MeshState.of(parsed.config(), version + 1);
    } catch (InvalidMeshConfigException e) {
      reject(h, String.join("; ", e.problems()));
      return false;
    } catch (RuntimeException e) {
      reject(h, "unexpected error: " + e);
      return false;
    }
    applyLocked(next, parsed, h);
    return true;
  }

  /** The version of the state this watcher last applied (0 before {@link #start}). */
  public synchronized long version() {
    return version;
  }

  public Path file() {
    return file;
  }

  @Override
  public void close() {
    closed = true;
    if (executor != null) {
      executor.shutdownNow();
    }
    if (watchService != null) {
      try {
        watchService.close();
      } catch (IOException e) {
        log.debug("config {}: closing the directory watch failed", file, e);
      }
    }
    if (watchThread != null) {
      watchThread.interrupt();
    }
  }

  private void applyLocked(MeshState next, ParsedMeshConfig parsed, byte[] h) {
    version = next.version();
    lastSeenHash = h;
    lastGoodHash = h;
    lastSeenProblem = null;
    try {
      holder.apply(next);
    } catch (RuntimeException e) {
      // The state is in place; a failing listener must not stop the watcher.
      log.error("config {}: a state listener failed for version {}", file, version, e);
    }
    log.info(
        "config {}: applied version {} ({} workloads, {} services, {} policies)",
        file,
        version,
        next.workloads().size(),
        next.services().size(),
        next.policies().size());
    for (String note : parsed.notes()) {
      log.info("config {}: note: {}", file, note);
    }
  }

  private void reject(byte[] h, String problem) {
    // Report each distinct bad content (or read failure) once, not on every poll.
    if (h != null && Arrays.equals(h, lastSeenHash)) {
      return;
    }
    if (h == null && problem.equals(lastSeenProblem)) {
      return;
    }
    lastSeenHash = h;
    lastSeenProblem = problem;
    log.warn("config {}: keeping last good config (version {}): {}", file, version, problem);
  }

  private void safeReload() {
    try {
      reload();
    } catch (RuntimeException e) {
      log.error("config {}: reload failed", file, e);
    }
  }

  private void startDirectoryWatch() {
    Path dir = file.getParent();
    try {
      watchService = FileSystems.getDefault().newWatchService();
      dir.register(
          watchService,
          StandardWatchEventKinds.ENTRY_CREATE,
          StandardWatchEventKinds.ENTRY_MODIFY,
          StandardWatchEventKinds.ENTRY_DELETE);
    } catch (IOException | RuntimeException e) {
      log.warn("config {}: no directory watch ({}); relying on polling", file, e.toString());
      return;
    }
    watchThread =
        new Thread(
            () -> {
              try {
                while (!closed) {
                  WatchKey key = watchService.take();
                  key.pollEvents(); // any change in the directory: the hash decides
                  key.reset();
                  if (!closed) {
                    executor.schedule(this::safeReload, SETTLE_MILLIS, TimeUnit.MILLISECONDS);
                  }
                }
              } catch (InterruptedException | ClosedWatchServiceException e) {
                // closing
              } catch (RuntimeException e) {
                if (!closed) {
                  log.warn("config {}: directory watch stopped; relying on polling", file, e);
                }
              }
            },
            "config-watch " + file.getFileName());
    watchThread.setDaemon(true);
    watchThread.start();
  }

  /** Reads the file, refusing (without reading) one larger than the loader accepts. */
  private byte[] read() throws IOException {
    long size = Files.size(file);
    if (size > MeshConfigLoader.MAX_DOCUMENT_SIZE) {
      throw new IOException(
          file
              + ": file is "
              + size
              + " bytes, more than the limit of "
              + MeshConfigLoader.MAX_DOCUMENT_SIZE);
    }
    return Files.readAllBytes(file);
  }

  private static byte[] hash(byte[] content) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(content);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required by the Java platform", e);
    }
  }
}
