package dev.ambient.controller.xds;

import dev.ambient.api.model.InvalidMeshConfigException;
import dev.ambient.api.model.MeshState;
import dev.ambient.ztunnel.config.ConfigWatcher;
import dev.ambient.ztunnel.state.StateHolder;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.function.Consumer;

/**
 * The mesh YAML file as a snapshot source. It reuses the watcher ztunnel and the CA use (and so
 * {@code MeshConfigLoader}): a file that is invalid at start is an error; a later bad edit is
 * refused whole and logged naming object and field, and the last good snapshot keeps serving.
 */
public final class FileSnapshotSource implements SnapshotSource {
  private final StateHolder holder = new StateHolder(MeshState.EMPTY);
  private final ConfigWatcher watcher;

  private FileSnapshotSource(Path file, Duration pollInterval) {
    this.watcher = new ConfigWatcher(file, holder, pollInterval);
  }

  /** Loads the file (throwing if it cannot be used) and starts watching it. */
  public static FileSnapshotSource start(Path file, Duration pollInterval)
      throws IOException, InvalidMeshConfigException {
    FileSnapshotSource source = new FileSnapshotSource(file, pollInterval);
    try {
      source.watcher.start();
    } catch (IOException | InvalidMeshConfigException | RuntimeException e) {
      source.close();
      throw e;
    }
    return source;
  }

  public static FileSnapshotSource start(Path file) throws IOException, InvalidMeshConfigException {
    return start(file, Duration.ofSeconds(1));
  }

  @Override
  public MeshState current() {
    return holder.current();
  }

  @Override
  public void onChange(Consumer<MeshState> listener) {
    holder.onChange(listener);
  }

  /** Re-reads the file now (tests; the watcher also does it on its own). */
  public boolean reload() {
    return watcher.reload();
  }

  @Override
  public void close() {
    watcher.close();
  }
}
