package dev.ambient.ztunnel.metrics;

/** Istio's TCP metrics and the per-connection access log. */
public interface TcpMetrics {
  /** Records a connection as opened and returns its tracker. */
  ConnectionTracker open(ConnectionLabels labels);
}
