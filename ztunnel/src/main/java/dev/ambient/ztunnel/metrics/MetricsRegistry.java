package dev.ambient.ztunnel.metrics;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** The metric families one process exposes; scraped as Prometheus text format 0.0.4. */
public final class MetricsRegistry {
  public static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

  private final List<Collector> collectors = new CopyOnWriteArrayList<>();

  public <T extends Collector> T register(T collector) {
    collectors.add(collector);
    return collector;
  }

  public CounterFamily counter(String name, String help, String... labelNames) {
    return register(new CounterFamily(name, help, labelNames));
  }

  /** The whole exposition, families in registration order. */
  public String scrape() {
    StringBuilder out = new StringBuilder(4096);
    for (Collector c : collectors) {
      c.writeTo(out);
    }
    return out.toString();
  }
}
