package dev.ambient.controller.wasm;

/**
 * Envoy refused a WasmPlugin (its module failed to start or rejected its configuration: a NACK
 * naming the plugin). It holds for the plugin as it was then: the same generation and module; an
 * edit of the plugin or another module lifts it.
 *
 * @param message Envoy's error, for the plugin's status
 */
public record EnvoyRejection(Long generation, String sha256, String message) {}
