package dev.ambient.ztunnel.metrics;

/** Something that writes metric families in the Prometheus text format 0.0.4. */
public interface Collector {
  void writeTo(StringBuilder out);
}
