package dev.ambient.controller.waypoint.process;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Optional;

/**
 * Where the pinned Envoy is: {@code -Dambient.envoy}, the {@code AMBIENT_ENVOY} environment
 * variable, or the venv {@code tools/envoy.sh} leaves in {@code
 * ${AMBIENT_CACHE:-~/.cache/ambient}/envoy-<version>} (the wasm-filters tests' convention). Never
 * downloads anything.
 */
public final class EnvoyBinary {
  /** The version {@code tools/envoy.sh} pins. */
  public static final String VERSION = "1.40.0";

  private EnvoyBinary() {}

  public static Optional<Path> find() {
    String explicit = System.getProperty("ambient.envoy");
    if (explicit == null || explicit.isBlank()) {
      explicit = System.getenv("AMBIENT_ENVOY");
    }
    if (explicit != null && !explicit.isBlank()) {
      Path p = Paths.get(explicit);
      return Files.isExecutable(p) ? Optional.of(p) : Optional.empty();
    }
    String cache = System.getenv("AMBIENT_CACHE");
    Path root =
        cache != null && !cache.isBlank()
            ? Paths.get(cache)
            : Paths.get(System.getProperty("user.home"), ".cache", "ambient");
    Path lib = root.resolve("envoy-" + VERSION).resolve("lib");
    if (!Files.isDirectory(lib)) {
      return Optional.empty();
    }
    // The venv's python version is part of the path: lib/python3.X/site-packages/envoy/_bin/envoy.
    try (DirectoryStream<Path> pythons = Files.newDirectoryStream(lib, "python3*")) {
      for (Path py : pythons) {
        Path envoy = py.resolve("site-packages").resolve("envoy").resolve("_bin").resolve("envoy");
        if (Files.isExecutable(envoy)) {
          return Optional.of(envoy);
        }
      }
    } catch (IOException e) {
      return Optional.empty();
    }
    return Optional.empty();
  }

  /** Why Envoy tests are skipped. */
  public static String skipReason() {
    return "skipped: no Envoy installed (run tools/envoy.sh, or set AMBIENT_ENVOY / -Dambient.envoy)";
  }
}
