package dev.ambient.controller.waypoint.agent;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;

/**
 * {@code GET /healthz/ready} on Istio's 15021: 200 when Envoy's admin {@code /ready} says 200 (it
 * has its listeners, clusters and SDS secrets), else 503. The readiness probe cannot reach Envoy's
 * admin itself, which listens on the pod's loopback only. Plain JDK HTTP server on its own small
 * thread pool: the check makes a blocking call to the admin port.
 */
final class ReadinessServer implements AutoCloseable {
  static final String PATH = "/healthz/ready";

  private final HttpServer server;
  private final ExecutorService threads =
      Executors.newFixedThreadPool(
          2,
          r -> {
            Thread t = new Thread(r, "waypoint-readiness");
            t.setDaemon(true);
            return t;
          });
  private final HttpClient client =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
  private final Supplier<InetSocketAddress> admin;

  ReadinessServer(InetSocketAddress listen, Supplier<InetSocketAddress> admin) throws IOException {
    this.admin = admin;
    try {
      this.server = HttpServer.create(listen, 16);
    } catch (IOException e) {
      threads.shutdownNow();
      throw new IOException("readiness port " + listen + ": " + e.getMessage(), e);
    }
    server.setExecutor(threads);
    server.createContext(PATH, this::handle);
    server.start();
  }

  InetSocketAddress address() {
    return server.getAddress();
  }

  /** Whether Envoy reports itself ready now. */
  boolean envoyReady() {
    InetSocketAddress a = admin.get();
    if (a == null) {
      return false;
    }
    try {
      HttpResponse<String> r =
          client.send(
              HttpRequest.newBuilder(
                      URI.create(
                          "http://"
                              + a.getAddress().getHostAddress()
                              + ":"
                              + a.getPort()
                              + "/ready"))
                  .timeout(Duration.ofSeconds(2))
                  .GET()
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      return r.statusCode() == 200;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  private void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      if (!"GET".equals(exchange.getRequestMethod())
          || !PATH.equals(exchange.getRequestURI().getPath())) {
        exchange.sendResponseHeaders(404, -1);
        return;
      }
      boolean ready = envoyReady();
      byte[] body = (ready ? "ready\n" : "not ready\n").getBytes(StandardCharsets.US_ASCII);
      exchange.getResponseHeaders().set("Content-Type", "text/plain");
      exchange.sendResponseHeaders(ready ? 200 : 503, body.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(body);
      }
    }
  }

  @Override
  public void close() {
    server.stop(0);
    threads.shutdownNow();
  }
}
