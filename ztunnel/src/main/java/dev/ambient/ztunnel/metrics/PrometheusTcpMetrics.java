package dev.ambient.ztunnel.metrics;

import dev.ambient.api.authz.IpLiteral;
import dev.ambient.api.model.Service;
import dev.ambient.api.model.Workload;
import dev.ambient.api.spiffe.SpiffeId;
import java.net.InetSocketAddress;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Istio's TCP metrics and ztunnel's per-connection access log.
 *
 * <p>Counters, with Istio's names and labels: {@code istio_tcp_connections_opened_total}, {@code
 * istio_tcp_connections_closed_total}, {@code istio_tcp_sent_bytes_total} and {@code
 * istio_tcp_received_bytes_total}. As in Istio, <em>received</em> bytes are the request direction
 * (client to destination, {@link ConnectionTracker#sent}) and <em>sent</em> bytes the response
 * direction (destination to client, {@link ConnectionTracker#received}).
 *
 * <p>{@code response_flags} is known only at the end, so, as ztunnel does, the opened counter and
 * the byte counters carry {@code "-"} (their series are resolved once, at open, so that byte
 * accounting is a plain add on the hot path), and only the closed counter carries the connection's
 * final flag. Unknown parties are {@code "unknown"}.
 *
 * <p>At close one line in logfmt (see {@link Logfmt}) goes to the SLF4J logger {@code access}, with
 * the keys of {@link #ACCESS_LOG_KEYS} in that order; absent values are {@code "-"}.
 */
public final class PrometheusTcpMetrics implements TcpMetrics {
  public static final String ACCESS_LOGGER = "access";
  public static final String UNKNOWN = "unknown";
  public static final String NO_FLAGS = "-";

  public static final String[] LABELS = {
    "reporter",
    "source_workload",
    "source_canonical_service",
    "source_canonical_revision",
    "source_workload_namespace",
    "source_principal",
    "source_app",
    "source_version",
    "source_cluster",
    "destination_service",
    "destination_service_namespace",
    "destination_service_name",
    "destination_workload",
    "destination_canonical_service",
    "destination_canonical_revision",
    "destination_workload_namespace",
    "destination_principal",
    "destination_app",
    "destination_version",
    "destination_cluster",
    "request_protocol",
    "response_flags",
    "connection_security_policy",
  };
  private static final int FLAGS_INDEX = 21;

  public static final String[] ACCESS_LOG_KEYS = {
    "src.addr", "src.workload", "src.namespace", "src.identity", "dst.addr", "dst.hbone_addr",
    "dst.service", "dst.workload", "dst.namespace", "dst.identity", "direction", "bytes_sent",
    "bytes_recv", "duration_ms", "flags", "error",
  };

  private static final Logger accessLog = LoggerFactory.getLogger(ACCESS_LOGGER);

  private final MetricsRegistry registry;
  private final CounterFamily opened;
  private final CounterFamily closed;
  private final CounterFamily sentBytes;
  private final CounterFamily receivedBytes;

  /** Metrics in a registry of their own, with process gauges. */
  public PrometheusTcpMetrics() {
    this(new MetricsRegistry());
    registry.register(new ProcessMetrics());
  }

  public PrometheusTcpMetrics(MetricsRegistry registry) {
    this.registry = registry;
    opened =
        registry.counter(
            "istio_tcp_connections_opened_total",
            "The total number of TCP connections opened",
            LABELS);
    closed =
        registry.counter(
            "istio_tcp_connections_closed_total",
            "The total number of TCP connections closed",
            LABELS);
    sentBytes =
        registry.counter(
            "istio_tcp_sent_bytes_total",
            "The size of total bytes sent during response in case of a TCP connection",
            LABELS);
    receivedBytes =
        registry.counter(
            "istio_tcp_received_bytes_total",
            "The size of total bytes received during request in case of a TCP connection",
            LABELS);
  }

  public MetricsRegistry registry() {
    return registry;
  }

  /** The exposition in Prometheus text format 0.0.4. */
  public String scrape() {
    return registry.scrape();
  }

  @Override
  public ConnectionTracker open(ConnectionLabels labels) {
    String[] values = labelValues(labels);
    opened.child(values).increment();
    return new Tracker(labels, values, receivedBytes.child(values), sentBytes.child(values));
  }

  static String[] labelValues(ConnectionLabels l) {
    Workload src = l.source();
    Workload dst = l.destination();
    Service svc = l.destinationService();
    return new String[] {
      or(l.reporter()),
      src == null ? UNKNOWN : src.name(),
      src == null ? UNKNOWN : src.canonicalName(),
      src == null ? UNKNOWN : src.canonicalRevision(),
      src == null ? UNKNOWN : src.namespace(),
      principal(l.sourcePrincipal()),
      src == null ? UNKNOWN : src.canonicalName(),
      src == null ? UNKNOWN : src.canonicalRevision(),
      cluster(src),
      svc == null ? UNKNOWN : svc.hostname(),
      svc == null ? UNKNOWN : svc.namespace(),
      svc == null ? UNKNOWN : svc.name(),
      dst == null ? UNKNOWN : dst.name(),
      dst == null ? UNKNOWN : dst.canonicalName(),
      dst == null ? UNKNOWN : dst.canonicalRevision(),
      dst == null ? UNKNOWN : dst.namespace(),
      principal(l.destinationPrincipal()),
      dst == null ? UNKNOWN : dst.canonicalName(),
      dst == null ? UNKNOWN : dst.canonicalRevision(),
      cluster(dst),
      "tcp",
      NO_FLAGS,
      l.mutualTls() ? "mutual_tls" : "none",
    };
  }

  private static String or(String s) {
    return s == null || s.isEmpty() ? UNKNOWN : s;
  }

  private static String principal(SpiffeId id) {
    return id == null ? UNKNOWN : id.uri();
  }

  /** Istio's uid is {@code <cluster>//<kind>/<ns>/<name>}. */
  private static String cluster(Workload w) {
    if (w == null) {
      return UNKNOWN;
    }
    int sep = w.uid().indexOf("//");
    return sep > 0 ? w.uid().substring(0, sep) : UNKNOWN;
  }

  private final class Tracker implements ConnectionTracker {
    private final ConnectionLabels labels;
    private final String[] values;
    private final LongAdder requestBytes;
    private final LongAdder responseBytes;
    private final LongAdder sent = new LongAdder();
    private final LongAdder received = new LongAdder();
    private final long startNanos = System.nanoTime();
    private final AtomicBoolean closedOnce = new AtomicBoolean();

    Tracker(
        ConnectionLabels labels, String[] values, LongAdder requestBytes, LongAdder responseBytes) {
      this.labels = labels;
      this.values = values;
      this.requestBytes = requestBytes;
      this.responseBytes = responseBytes;
    }

    @Override
    public void sent(long bytes) {
      if (bytes > 0) {
        requestBytes.add(bytes);
        sent.add(bytes);
      }
    }

    @Override
    public void received(long bytes) {
      if (bytes > 0) {
        responseBytes.add(bytes);
        received.add(bytes);
      }
    }

    @Override
    public void close(String responseFlags, String error) {
      if (!closedOnce.compareAndSet(false, true)) {
        return;
      }
      String flags = responseFlags == null || responseFlags.isEmpty() ? NO_FLAGS : responseFlags;
      String[] closeValues = values.clone();
      closeValues[FLAGS_INDEX] = flags;
      closed.child(closeValues).increment();
      if (accessLog.isInfoEnabled()) {
        long durationMs = (System.nanoTime() - startNanos) / 1_000_000;
        accessLog.info(accessLine(labels, sent.sum(), received.sum(), durationMs, flags, error));
      }
    }
  }

  static String accessLine(
      ConnectionLabels l, long sent, long received, long durationMs, String flags, String error) {
    Map<String, String> f = new LinkedHashMap<>();
    Workload src = l.source();
    Workload dst = l.destination();
    f.put("src.addr", addr(l.sourceAddress()));
    f.put("src.workload", src == null ? NO_FLAGS : src.name());
    f.put("src.namespace", src == null ? NO_FLAGS : src.namespace());
    f.put("src.identity", l.sourcePrincipal() == null ? NO_FLAGS : l.sourcePrincipal().uri());
    f.put("dst.addr", addr(l.destinationAddress()));
    f.put("dst.hbone_addr", addr(l.hboneAddress()));
    f.put(
        "dst.service",
        l.destinationService() == null ? NO_FLAGS : l.destinationService().hostname());
    f.put("dst.workload", dst == null ? NO_FLAGS : dst.name());
    f.put("dst.namespace", dst == null ? NO_FLAGS : dst.namespace());
    f.put(
        "dst.identity",
        l.destinationPrincipal() == null ? NO_FLAGS : l.destinationPrincipal().uri());
    f.put("direction", l.direction() == null ? NO_FLAGS : l.direction());
    f.put("bytes_sent", Long.toString(sent));
    f.put("bytes_recv", Long.toString(received));
    f.put("duration_ms", Long.toString(durationMs));
    f.put("flags", flags);
    f.put("error", error == null || error.isEmpty() ? NO_FLAGS : error);
    return Logfmt.format(f);
  }

  /** {@code ip:port} or {@code [v6]:port}; never a DNS lookup. */
  private static String addr(InetSocketAddress a) {
    if (a == null) {
      return NO_FLAGS;
    }
    String host = a.getAddress() != null ? IpLiteral.format(a.getAddress()) : a.getHostString();
    return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + a.getPort();
  }
}
