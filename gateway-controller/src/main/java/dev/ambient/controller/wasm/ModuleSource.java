package dev.ambient.controller.wasm;

/** Where plugin modules come from: {@link WasmModules} in the controller, a map in tests. */
@FunctionalInterface
public interface ModuleSource {
  /**
   * The module at {@code url}, verified against {@code sha256} (lower-case hex; null when the
   * plugin gives none).
   */
  ModuleResolution resolve(String url, String sha256);
}
