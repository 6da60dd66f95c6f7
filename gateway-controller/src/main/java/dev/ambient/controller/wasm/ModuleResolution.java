package dev.ambient.controller.wasm;

/**
 * What fetching and checking a plugin's module gave: the verified module, or why not (a status
 * {@code reason} and a message naming the field).
 */
public record ModuleResolution(WasmModule module, String reason, String message) {
  public static ModuleResolution ok(WasmModule module) {
    return new ModuleResolution(module, null, null);
  }

  public static ModuleResolution failed(String reason, String message) {
    return new ModuleResolution(null, reason, message);
  }

  public boolean isOk() {
    return module != null;
  }
}
