package dev.ambient.api.config;

import java.util.Map;

/** Builds the name under which an object's problems are reported. */
final class Labels {
  private Labels() {}

  /** {@code list[i] (ns/name)} when both are plain strings, else just {@code list[i]}. */
  static String of(String list, int index, Object raw) {
    String base = list + "[" + index + "]";
    if (raw instanceof Map<?, ?> m) {
      Object meta = m.get("metadata");
      Map<?, ?> src = meta instanceof Map<?, ?> mm ? mm : m;
      if (src.get("namespace") instanceof String ns && src.get("name") instanceof String name) {
        return base + " (" + ns + "/" + name + ")";
      }
      if (src.get("name") instanceof String name) {
        return base + " (" + name + ")";
      }
    }
    return base;
  }
}
