package dev.ambient.controller.wasm;

import java.util.Objects;

/**
 * A verified module: its bytes and their sha256. Two modules are equal when their digests are, so
 * comparing waypoint models never compares the (hundreds of KB of) bytes.
 */
public final class WasmModule {
  private final String sha256;
  private final byte[] bytes;

  WasmModule(String sha256, byte[] bytes) {
    this.sha256 = Objects.requireNonNull(sha256, "sha256");
    this.bytes = bytes.clone();
  }

  /** A module of these bytes, unverified: {@link WasmModules} verifies what it hands out. */
  public static WasmModule of(byte[] bytes) {
    return new WasmModule(WasmModules.sha256(bytes), bytes);
  }

  /** Lower-case hex. */
  public String sha256() {
    return sha256;
  }

  public byte[] bytes() {
    return bytes.clone();
  }

  public int size() {
    return bytes.length;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof WasmModule && ((WasmModule) o).sha256.equals(sha256);
  }

  @Override
  public int hashCode() {
    return sha256.hashCode();
  }

  @Override
  public String toString() {
    return "WasmModule[sha256=" + sha256 + ", " + bytes.length + " bytes]";
  }
}
