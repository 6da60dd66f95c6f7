package dev.ambient.controller.wasm;

/**
 * What a WasmPlugin's {@code Accepted} condition should say.
 *
 * @param plugin {@code <namespace>/<name>}
 * @param generation the {@code metadata.generation} the verdict is about
 * @param reason {@code Accepted} when it runs everywhere it targets; otherwise what was wrong
 *     ({@code InvalidUrl}, {@code Sha256Mismatch}, {@code DisallowedImport}, {@code
 *     InvalidPluginConfig}, {@code TargetNotFound}, ...)
 * @param message names the field
 */
public record PluginStatus(
    String plugin, Long generation, boolean accepted, String reason, String message) {}
