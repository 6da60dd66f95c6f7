package dev.ambient.wasm.filters.telemetry;

import dev.ambient.wasm.sdk.Labels;
import dev.ambient.wasm.sdk.Metrics;
import java.util.HashMap;
import java.util.Map;

/**
 * The four Istio metrics of one label set. Looked up by the encoded labels, so a request costs one
 * label string and one map lookup instead of four of each (the string work was most of the filter's
 * time in Envoy).
 */
final class IstioSeries {
  /** Distinct label sets kept; past this the cache starts over (Envoy keeps the stats anyway). */
  private static final int MAX_SERIES = 4096;

  private static final Map<String, IstioSeries> cache = new HashMap<>();

  final Metrics.Counter requests;
  final Metrics.Histogram requestBytes;
  final Metrics.Histogram responseBytes;
  private final Labels labels;
  private Metrics.Histogram duration;

  private IstioSeries(Labels labels) {
    this.labels = labels;
    requests = Metrics.counter("istio_requests_total", labels);
    requestBytes = Metrics.histogram("istio_request_bytes", labels);
    responseBytes = Metrics.histogram("istio_response_bytes", labels);
  }

  /**
   * Defined on the first sample: a request with no duration attribute records none, and an empty
   * histogram would still show up in Envoy's output.
   */
  void recordDuration(long millis) {
    if (duration == null) {
      duration = Metrics.histogram("istio_request_duration_milliseconds", labels);
    }
    duration.record(millis);
  }

  static IstioSeries of(Labels labels) {
    String key = labels.encode("");
    IstioSeries s = cache.get(key);
    if (s == null) {
      if (cache.size() >= MAX_SERIES) {
        cache.clear();
      }
      s = new IstioSeries(labels);
      cache.put(key, s);
    }
    return s;
  }
}
