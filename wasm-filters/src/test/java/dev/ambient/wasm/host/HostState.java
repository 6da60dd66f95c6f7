package dev.ambient.wasm.host;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** What the test host records and serves: logs, metrics, shared data, properties. */
public final class HostState {
  /** One {@code proxy_log} line. */
  public static final class LogLine {
    public final int level;
    public final String message;

    LogLine(int level, String message) {
      this.level = level;
      this.message = message;
    }

    @Override
    public String toString() {
      return level + " " + message;
    }
  }

  /** A defined metric. */
  public static final class Metric {
    public final int type;
    public final String name;
    public long value;
    public final List<Long> samples = new ArrayList<>();

    Metric(int type, String name) {
      this.type = type;
      this.name = name;
    }
  }

  /**
   * The key-value store behind proxy_get/set_shared_data; share one between hosts for a "proxy".
   */
  public static final class SharedStore {
    final Map<String, byte[]> values = new HashMap<>();
    final Map<String, Integer> cas = new HashMap<>();
    int nextCas = 1;
  }

  final List<LogLine> logs = new ArrayList<>();
  final List<Metric> metrics = new ArrayList<>();
  final Map<String, Metric> metricsByName = new LinkedHashMap<>();
  final Map<String, byte[]> properties = new HashMap<>();
  SharedStore shared = new SharedStore();
  long nowNanos = 1_700_000_000_000_000_000L;
  int tickPeriodMillis;
}
