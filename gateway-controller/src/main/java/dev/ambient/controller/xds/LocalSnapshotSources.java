package dev.ambient.controller.xds;

import dev.ambient.api.model.InvalidMeshConfigException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/** The local YAML source for a path: one mesh file, or a directory of them. */
public final class LocalSnapshotSources {
  private LocalSnapshotSources() {}

  public static SnapshotSource open(Path path, Duration pollInterval)
      throws IOException, InvalidMeshConfigException {
    if (Files.isDirectory(path)) {
      return DirectorySnapshotSource.start(path, pollInterval);
    }
    return FileSnapshotSource.start(path, pollInterval);
  }
}
