package dev.ambient.ztunnel.admin;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.ambient.api.model.MeshState;
import dev.ambient.ztunnel.identity.CertificateInfo;
import dev.ambient.ztunnel.metrics.MetricsRegistry;
import java.io.Closeable;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * ztunnel's three small HTTP endpoints, on the JDK's built-in server (they are not on the data
 * path): admin ({@code /config_dump}, loopback only, default {@code 127.0.0.1:15000}), Prometheus
 * metrics ({@code /metrics}, default {@code :15020}) and readiness ({@code /healthz/ready}, default
 * {@code :15021}). Only {@code GET} is served (405 otherwise); unknown paths get 404.
 */
public final class AdminServer implements Closeable {
  private static final Logger log = LoggerFactory.getLogger(AdminServer.class);

  public static final int DEFAULT_ADMIN_PORT = 15000;
  public static final int DEFAULT_METRICS_PORT = 15020;
  public static final int DEFAULT_READINESS_PORT = 15021;

  private final InetSocketAddress adminBind;
  private final InetSocketAddress metricsBind;
  private final InetSocketAddress readinessBind;
  private final Supplier<MeshState> state;
  private final Supplier<List<CertificateInfo>> certificates;
  private final Supplier<String> metrics;
  private final BooleanSupplier ready;
  private final List<HttpServer> servers = new ArrayList<>();
  private ExecutorService executor;
  private HttpServer admin;
  private HttpServer metricsServer;
  private HttpServer readiness;

  private AdminServer(Builder b) {
    this.adminBind = b.admin;
    this.metricsBind = b.metrics;
    this.readinessBind = b.readiness;
    this.state = Objects.requireNonNull(b.state, "state supplier");
    this.certificates = b.certificates == null ? List::of : b.certificates;
    this.metrics = Objects.requireNonNull(b.metricsText, "metrics supplier");
    this.ready = Objects.requireNonNull(b.ready, "readiness supplier");
    requireLoopback(adminBind);
  }

  public static Builder builder() {
    return new Builder();
  }

  /** Binds and starts all three servers; on failure nothing stays bound. */
  public synchronized void start() throws IOException {
    if (executor != null) {
      throw new IllegalStateException("already started");
    }
    AtomicInteger n = new AtomicInteger();
    executor =
        Executors.newFixedThreadPool(
            2,
            r -> {
              Thread t = new Thread(r, "admin-http-" + n.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
    try {
      admin = bind(adminBind, Map.of("/config_dump", this::configDump));
      metricsServer = bind(metricsBind, Map.of("/metrics", this::metrics));
      readiness = bind(readinessBind, Map.of("/healthz/ready", this::ready));
    } catch (IOException | RuntimeException e) {
      close();
      throw new IOException("cannot start admin servers: " + e.getMessage(), e);
    }
  }

  public InetSocketAddress adminAddress() {
    return admin.getAddress();
  }

  public InetSocketAddress metricsAddress() {
    return metricsServer.getAddress();
  }

  public InetSocketAddress readinessAddress() {
    return readiness.getAddress();
  }

  @Override
  public synchronized void close() {
    for (HttpServer s : servers) {
      s.stop(0);
    }
    servers.clear();
    if (executor != null) {
      executor.shutdownNow();
    }
  }

  /** The config dump exposes workload details: it must never be reachable from the network. */
  static void requireLoopback(InetSocketAddress address) {
    InetAddress ip = address == null ? null : address.getAddress();
    if (ip == null || !ip.isLoopbackAddress()) {
      throw new IllegalArgumentException(
          "admin address must be a loopback address (the admin port is localhost only), got "
              + (address == null ? "none" : address.getHostString() + ":" + address.getPort()));
    }
  }

  private interface Handler {
    Response handle() throws Exception;
  }

  private record Response(int status, String contentType, String body) {}

  private HttpServer bind(InetSocketAddress address, Map<String, Handler> routes)
      throws IOException {
    HttpServer server = HttpServer.create(address, 64);
    server.createContext("/", exchange -> serve(exchange, routes));
    server.setExecutor(executor);
    server.start();
    servers.add(server);
    return server;
  }

  private static void serve(HttpExchange exchange, Map<String, Handler> routes) throws IOException {
    try (exchange) {
      Response response;
      Handler handler = routes.get(exchange.getRequestURI().getPath());
      if (handler == null) {
        response = new Response(404, "text/plain; charset=utf-8", "not found\n");
      } else if (!exchange.getRequestMethod().equals("GET")) {
        exchange.getResponseHeaders().set("Allow", "GET");
        response = new Response(405, "text/plain; charset=utf-8", "only GET is supported\n");
      } else {
        try {
          response = handler.handle();
        } catch (Exception e) {
          log.warn("admin: {} failed", exchange.getRequestURI().getPath(), e);
          response = new Response(500, "text/plain; charset=utf-8", "internal error\n");
        }
      }
      byte[] body = response.body().getBytes(StandardCharsets.UTF_8);
      exchange.getResponseHeaders().set("Content-Type", response.contentType());
      exchange.getResponseHeaders().set("Cache-Control", "no-store");
      exchange.sendResponseHeaders(response.status(), body.length == 0 ? -1 : body.length);
      if (body.length > 0) {
        try (OutputStream out = exchange.getResponseBody()) {
          out.write(body);
        }
      }
    }
  }

  private Response configDump() {
    MeshState s = state.get();
    String json = ConfigDump.render(s == null ? MeshState.EMPTY : s, certificates.get());
    return new Response(200, "application/json", json);
  }

  private Response metrics() {
    return new Response(200, MetricsRegistry.CONTENT_TYPE, metrics.get());
  }

  private Response ready() {
    return ready.getAsBoolean()
        ? new Response(200, "text/plain; charset=utf-8", "ready\n")
        : new Response(503, "text/plain; charset=utf-8", "not ready\n");
  }

  /** Configures the addresses and the data sources; defaults are Istio's ports. */
  public static final class Builder {
    private InetSocketAddress admin =
        new InetSocketAddress(InetAddress.getLoopbackAddress(), DEFAULT_ADMIN_PORT);
    private InetSocketAddress metrics = new InetSocketAddress(DEFAULT_METRICS_PORT);
    private InetSocketAddress readiness = new InetSocketAddress(DEFAULT_READINESS_PORT);
    private Supplier<MeshState> state;
    private Supplier<List<CertificateInfo>> certificates;
    private Supplier<String> metricsText;
    private BooleanSupplier ready;

    /** Must be a loopback address; {@link #build} refuses anything else. */
    public Builder adminAddress(InetSocketAddress address) {
      this.admin = address;
      return this;
    }

    public Builder metricsAddress(InetSocketAddress address) {
      this.metrics = Objects.requireNonNull(address);
      return this;
    }

    public Builder readinessAddress(InetSocketAddress address) {
      this.readiness = Objects.requireNonNull(address);
      return this;
    }

    public Builder state(Supplier<MeshState> state) {
      this.state = state;
      return this;
    }

    public Builder certificates(Supplier<List<CertificateInfo>> certificates) {
      this.certificates = certificates;
      return this;
    }

    /** The exposition text, e.g. {@code tcpMetrics::scrape} or {@code registry::scrape}. */
    public Builder metrics(Supplier<String> exposition) {
      this.metricsText = exposition;
      return this;
    }

    public Builder ready(BooleanSupplier ready) {
      this.ready = ready;
      return this;
    }

    /**
     * @throws IllegalArgumentException when the admin address is not loopback
     * @throws NullPointerException when a data source is missing
     */
    public AdminServer build() {
      return new AdminServer(this);
    }
  }
}
