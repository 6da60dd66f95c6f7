package dev.ambient.wasm.filters.example;

import dev.ambient.wasm.sdk.ConfigException;
import dev.ambient.wasm.sdk.HttpContext;
import dev.ambient.wasm.sdk.JsonObject;
import dev.ambient.wasm.sdk.Labels;
import dev.ambient.wasm.sdk.Log;
import dev.ambient.wasm.sdk.Metrics;
import dev.ambient.wasm.sdk.RootContext;

/** Configuration {@code {"greeting": "...", "tickMillis": 0}}; counts ticks in a gauge. */
final class ExampleRoot extends RootContext {
  private volatile String greeting = "hello";

  ExampleRoot(int id) {}

  @Override
  public void onConfigure(JsonObject config) throws ConfigException {
    config.requireOnly("greeting", "tickMillis");
    String g = config.string("greeting", "hello");
    long tick = config.longValue("tickMillis", 0);
    if (tick < 0 || tick > 3_600_000) {
      throw new ConfigException("tickMillis: must be between 0 and 3600000, got " + tick);
    }
    greeting = g;
    setTickPeriodMillis((int) tick);
    Log.info("example configured: greeting=" + g);
  }

  @Override
  public void onTick() {
    Metrics.gauge("example_ticks", Labels.empty()).add(1);
  }

  @Override
  public HttpContext newHttpContext(int contextId) {
    return new ExampleStream(greeting);
  }
}
