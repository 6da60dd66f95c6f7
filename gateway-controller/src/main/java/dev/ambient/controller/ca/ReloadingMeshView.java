package dev.ambient.controller.ca;

import dev.ambient.api.model.InvalidMeshConfigException;
import dev.ambient.api.model.MeshConfig;
import dev.ambient.api.model.MeshState;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.Objects;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The CA's view of the mesh from a YAML file: re-read when the file changes, applied whole or not
 * at all. A bad edit is logged and the last good state keeps serving; a bad file at start fails the
 * start.
 */
public final class ReloadingMeshView implements Supplier<MeshState> {
  private static final Logger log = LoggerFactory.getLogger(ReloadingMeshView.class);

  /** Parses a mesh configuration file (e.g. {@code MeshConfigLoader::load}). */
  @FunctionalInterface
  public interface Loader {
    MeshConfig load(Path file) throws Exception;
  }

  private final Path file;
  private final Loader loader;
  private MeshState state;
  private FileTime loadedTime;
  private long version;

  public ReloadingMeshView(Path file, Loader loader) throws CaStateException {
    this.file = Objects.requireNonNull(file, "file");
    this.loader = Objects.requireNonNull(loader, "loader");
    try {
      FileTime t = Files.getLastModifiedTime(file);
      this.state = load();
      this.loadedTime = t;
    } catch (Exception e) {
      throw new CaStateException("mesh config " + file + ": " + message(e), e);
    }
  }

  @Override
  public synchronized MeshState get() {
    try {
      FileTime t = Files.getLastModifiedTime(file);
      if (!t.equals(loadedTime)) {
        loadedTime = t;
        state = load();
        log.info("CA mesh view reloaded from {} (version {})", file, state.version());
      }
    } catch (Exception e) {
      log.warn(
          "CA mesh view: {} not applied, keeping version {}: {}",
          file,
          state.version(),
          message(e));
    }
    return state;
  }

  private MeshState load() throws Exception {
    MeshConfig config = loader.load(file);
    return MeshState.of(config, ++version);
  }

  private static String message(Exception e) {
    if (e instanceof InvalidMeshConfigException || e instanceof IOException) {
      return e.getMessage();
    }
    return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
  }
}
