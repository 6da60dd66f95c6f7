package dev.ambient.wasm.sdk;

import java.util.HashMap;
import java.util.Map;

/**
 * Counters, gauges and histograms defined in the host ({@code proxy_define_metric}). A metric is
 * defined once per full name (labels included) and its id cached, so per-request lookups cost a map
 * access. In Envoy these stats live under the {@code wasmcustom.} prefix, which the Prometheus
 * endpoint strips.
 */
public final class Metrics {
  static final int COUNTER = 0;
  static final int GAUGE = 1;
  static final int HISTOGRAM = 2;

  private static final Map<String, Integer> ids = new HashMap<>();

  private Metrics() {}

  public static Counter counter(String name, Labels labels) {
    return new Counter(define(COUNTER, labels.encode(name)));
  }

  public static Gauge gauge(String name, Labels labels) {
    return new Gauge(define(GAUGE, labels.encode(name)));
  }

  public static Histogram histogram(String name, Labels labels) {
    return new Histogram(define(HISTOGRAM, labels.encode(name)));
  }

  private static int define(int type, String fullName) {
    String key = type + ":" + fullName;
    Integer id = ids.get(key);
    if (id == null) {
      id = HostCalls.defineMetric(type, Utf8.encode(fullName));
      ids.put(key, id);
    }
    return id;
  }

  /** A monotonically increasing count. */
  public static final class Counter {
    private final int id;

    Counter(int id) {
      this.id = id;
    }

    public void increment(long by) {
      HostCalls.incrementMetric(id, by);
    }

    public long value() {
      return HostCalls.getMetric(id);
    }
  }

  /** A value that goes up and down. */
  public static final class Gauge {
    private final int id;

    Gauge(int id) {
      this.id = id;
    }

    public void set(long value) {
      HostCalls.recordMetric(id, value);
    }

    public void add(long delta) {
      HostCalls.incrementMetric(id, delta);
    }

    public long value() {
      return HostCalls.getMetric(id);
    }
  }

  /**
   * A distribution; buckets are the host's (Envoy: {@code stats_config.histogram_bucket_settings}).
   */
  public static final class Histogram {
    private final int id;

    Histogram(int id) {
      this.id = id;
    }

    public void record(long value) {
      HostCalls.recordMetric(id, value);
    }
  }
}
