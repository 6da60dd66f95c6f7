package dev.ambient.controller.waypoint;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * A plain HTTP/1.1 server on a workload address that records what each request carried. Every
 * answer carries {@code x-backend: <name>}; a request for a path under {@code /slow} is held until
 * the server closes (for timeout tests).
 */
final class HttpBackend implements AutoCloseable {
  /** One received request: path, query and headers (names in lower case, first value). */
  record Received(String path, String query, Map<String, String> headers) {}

  final List<Received> received = new CopyOnWriteArrayList<>();
  private final HttpServer server;
  private final ExecutorService executor = Executors.newCachedThreadPool();
  private final CountDownLatch closing = new CountDownLatch(1);

  HttpBackend(InetAddress address, String name) throws IOException {
    server = HttpServer.create(new InetSocketAddress(address, 0), 50);
    server.createContext(
        "/",
        exchange -> {
          Map<String, String> headers = new java.util.TreeMap<>();
          exchange
              .getRequestHeaders()
              .forEach((k, v) -> headers.put(k.toLowerCase(java.util.Locale.ROOT), v.get(0)));
          String path = exchange.getRequestURI().getPath();
          received.add(new Received(path, exchange.getRequestURI().getRawQuery(), headers));
          if (path.startsWith("/slow")) {
            try {
              closing.await(60, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
          }
          exchange.getResponseHeaders().add("x-backend", name);
          byte[] body =
              (name + " " + exchange.getRequestURI().getPath()).getBytes(StandardCharsets.UTF_8);
          exchange.sendResponseHeaders(200, body.length);
          try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
          }
        });
    server.setExecutor(executor);
    server.start();
  }

  int port() {
    return server.getAddress().getPort();
  }

  boolean sawPath(String path) {
    for (Received r : received) {
      if (r.path().equals(path)) {
        return true;
      }
    }
    return false;
  }

  Received last(String path) {
    Received found = null;
    for (Received r : received) {
      if (r.path().equals(path)) {
        found = r;
      }
    }
    return found;
  }

  @Override
  public void close() {
    closing.countDown();
    server.stop(0);
    executor.shutdownNow();
  }
}
