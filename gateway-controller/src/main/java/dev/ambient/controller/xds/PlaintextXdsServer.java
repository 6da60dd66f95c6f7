package dev.ambient.controller.xds;

import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.netty.NettyServerBuilder;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Workload discovery without TLS, Istio's 15010: for development only, and only when asked for.
 * Callers still authenticate (the service given here is expected to be wrapped by the caller
 * authentication interceptor); the CA is never served here.
 */
public final class PlaintextXdsServer implements AutoCloseable {
  public static final int DEFAULT_PORT = 15010;
  private static final Logger log = LoggerFactory.getLogger(PlaintextXdsServer.class);

  private final Server server;

  private PlaintextXdsServer(Server server) {
    this.server = server;
  }

  public static PlaintextXdsServer start(InetSocketAddress listen, ServerServiceDefinition service)
      throws IOException {
    Objects.requireNonNull(service, "service");
    Server s =
        NettyServerBuilder.forAddress(listen)
            .maxInboundMessageSize(4 * 1024 * 1024)
            .maxInboundMetadataSize(16 * 1024)
            .maxConcurrentCallsPerConnection(100)
            .addService(service)
            .build();
    try {
      s.start();
    } catch (IOException e) {
      throw new IOException(
          "plaintext xDS cannot listen on "
              + listen.getAddress().getHostAddress()
              + ":"
              + listen.getPort()
              + ": "
              + e.getMessage(),
          e);
    }
    log.warn(
        "plaintext xDS (no TLS, development only) listening on {}:{}",
        listen.getAddress().getHostAddress(),
        s.getPort());
    return new PlaintextXdsServer(s);
  }

  public int port() {
    return server.getPort();
  }

  @Override
  public void close() {
    server.shutdown();
    try {
      if (!server.awaitTermination(5, TimeUnit.SECONDS)) {
        server.shutdownNow();
      }
    } catch (InterruptedException e) {
      server.shutdownNow();
      Thread.currentThread().interrupt();
    }
  }
}
