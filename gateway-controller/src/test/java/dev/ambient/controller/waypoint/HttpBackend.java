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

/** A plain HTTP/1.1 server on a workload address that records what each request carried. */
final class HttpBackend implements AutoCloseable {
  /** One received request: path and headers (names in lower case, first value). */
  record Received(String path, Map<String, String> headers) {}

  final List<Received> received = new CopyOnWriteArrayList<>();
  private final HttpServer server;

  HttpBackend(InetAddress address, String name) throws IOException {
    server = HttpServer.create(new InetSocketAddress(address, 0), 50);
    server.createContext(
        "/",
        exchange -> {
          Map<String, String> headers = new java.util.TreeMap<>();
          exchange
              .getRequestHeaders()
              .forEach((k, v) -> headers.put(k.toLowerCase(java.util.Locale.ROOT), v.get(0)));
          received.add(new Received(exchange.getRequestURI().getPath(), headers));
          byte[] body =
              (name + " " + exchange.getRequestURI().getPath()).getBytes(StandardCharsets.UTF_8);
          exchange.sendResponseHeaders(200, body.length);
          try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
          }
        });
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
    server.stop(0);
  }
}
