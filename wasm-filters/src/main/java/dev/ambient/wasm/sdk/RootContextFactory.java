package dev.ambient.wasm.sdk;

/** Creates the filter's root context; registered from the module's {@code _initialize}. */
public interface RootContextFactory {
  RootContext create(int contextId);
}
