package dev.ambient.controller.wasm;

/** Where plugin modules come from: {@link WasmModules} in the controller, a map in tests. */
@FunctionalInterface
public interface ModuleSource {
  /**
   * The module at {@code url}, verified against {@code sha256} (lower-case hex; null when the
   * plugin gives none).
   */
  ModuleResolution resolve(String url, String sha256);

  /** Forgets cached modules other than these (the ones the last plan uses). */
  default void retainOnly(java.util.Set<String> sha256s) {}
}
