package dev.ambient.wasm.envoy;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Optional;

/**
 * Finds the pinned Envoy that {@code tools/envoy.sh} installs. Tests never download it: they use
 * {@code -Dambient.envoy=<path>}, the {@code AMBIENT_ENVOY} environment variable, or the venv that
 * the script leaves in {@code ${AMBIENT_CACHE:-~/.cache/ambient}/envoy-<version>}.
 */
public final class EnvoyBinary {
  /** The version {@code tools/envoy.sh} pins. */
  public static final String VERSION = "1.40.0";

  private EnvoyBinary() {}

  /** The envoy executable, or empty when none is installed. */
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

  /** Why envoy tests are skipped, for {@code Assumptions}. */
  public static String skipReason() {
    return "skipped: no Envoy installed (run tools/envoy.sh, or set AMBIENT_ENVOY / -Dambient.envoy)";
  }
}
