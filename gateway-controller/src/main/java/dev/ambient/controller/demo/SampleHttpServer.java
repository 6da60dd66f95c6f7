package dev.ambient.controller.demo;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executors;

/** A sample application server: answers every request with the workload's name. */
public final class SampleHttpServer implements AutoCloseable {
  private final HttpServer server;

  SampleHttpServer(String workload, InetSocketAddress address) throws IOException {
    server = HttpServer.create(address, 64);
    server.createContext(
        "/",
        exchange -> {
          byte[] body = ("hello from " + workload + "\n").getBytes(StandardCharsets.UTF_8);
          exchange.getResponseHeaders().add("Content-Type", "text/plain");
          exchange.sendResponseHeaders(200, body.length);
          try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
          }
        });
    server.setExecutor(Executors.newFixedThreadPool(2));
    server.start();
  }

  /** Runs one server until killed: {@code SampleHttpServer <workload> <port>} (inside a pod). */
  public static void main(String[] args) throws Exception {
    new SampleHttpServer(args[0], new InetSocketAddress(Integer.parseInt(args[1])));
    Thread.currentThread().join();
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
