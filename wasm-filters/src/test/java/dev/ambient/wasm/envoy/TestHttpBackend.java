package dev.ambient.wasm.envoy;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The upstream behind Envoy: a JDK HTTP server on an ephemeral loopback port. Query parameters
 * shape the answer: {@code status=N}, {@code bytes=N} (response body size), {@code delayMs=N}.
 * Every request that arrives is recorded as {@code METHOD path}, so tests can prove a denied
 * request never reached it.
 */
public final class TestHttpBackend implements AutoCloseable {
  private final HttpServer server;
  private final ExecutorService executor = Executors.newFixedThreadPool(4);
  private final List<String> received = new CopyOnWriteArrayList<>();

  public TestHttpBackend() throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
    server.createContext("/", this::handle);
    server.setExecutor(executor);
    server.start();
  }

  public int port() {
    return server.getAddress().getPort();
  }

  /** {@code METHOD /path?query} of every request that reached the backend, in arrival order. */
  public List<String> received() {
    return received;
  }

  private void handle(HttpExchange ex) throws IOException {
    try (ex) {
      try (InputStream in = ex.getRequestBody()) {
        in.readAllBytes();
      }
      received.add(ex.getRequestMethod() + " " + ex.getRequestURI());
      int status = intParam(ex, "status", 200);
      int bytes = intParam(ex, "bytes", 2);
      int delayMs = intParam(ex, "delayMs", 0);
      if (delayMs > 0) {
        try {
          Thread.sleep(delayMs);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      byte[] body = new byte[bytes];
      java.util.Arrays.fill(body, (byte) 'x');
      ex.getResponseHeaders().add("content-type", "text/plain");
      ex.sendResponseHeaders(status, bytes == 0 ? -1 : bytes);
      if (bytes > 0) {
        try (OutputStream out = ex.getResponseBody()) {
          out.write(body);
        }
      }
    }
  }

  private static int intParam(HttpExchange ex, String name, int dflt) {
    String q = ex.getRequestURI().getRawQuery();
    if (q == null) {
      return dflt;
    }
    for (String kv : q.split("&")) {
      if (kv.startsWith(name + "=")) {
        return Integer.parseInt(kv.substring(name.length() + 1));
      }
    }
    return dflt;
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }
}
