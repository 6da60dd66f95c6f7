package dev.ambient.controller.local;

import java.nio.file.Path;
import java.util.Map;

/**
 * Where the local store lives when no {@code --store} is given: {@code $MESH_STORE}, else {@code
 * $XDG_STATE_HOME/ambient/store}, else {@code ~/.local/state/ambient/store} (the XDG default).
 */
public final class StorePaths {
  public static final String ENV = "MESH_STORE";

  private StorePaths() {}

  public static Path defaultStore(Map<String, String> env, String home) {
    String explicit = env.get(ENV);
    if (explicit != null && !explicit.isEmpty()) {
      return Path.of(explicit);
    }
    String state = env.get("XDG_STATE_HOME");
    if (state != null && !state.isEmpty()) {
      return Path.of(state, "ambient", "store");
    }
    return Path.of(home, ".local", "state", "ambient", "store");
  }

  /** The store of {@code --store}, or the default for this process's environment. */
  public static Path resolve(Path option) {
    return option != null ? option : defaultStore(System.getenv(), System.getProperty("user.home"));
  }
}
