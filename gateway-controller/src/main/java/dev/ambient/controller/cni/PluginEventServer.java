package dev.ambient.controller.cni;

import dev.ambient.ztunnel.cni.PluginEvent;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node agent's unix socket for the CNI plugin: one {@link PluginEvent.Request} line in, one
 * {@link PluginEvent.Reply} line out per connection. The socket is 0600: only root on the node may
 * ask for a pod to be captured or released.
 */
public final class PluginEventServer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(PluginEventServer.class);

  private final Path socket;
  private final Function<PluginEvent.Request, PluginEvent.Reply> handler;
  private final ExecutorService workers;
  private ServerSocketChannel server;
  private Thread acceptor;

  public PluginEventServer(Path socket, Function<PluginEvent.Request, PluginEvent.Reply> handler) {
    this.socket = socket;
    this.handler = handler;
    AtomicInteger n = new AtomicInteger();
    this.workers =
        Executors.newFixedThreadPool(
            4,
            r -> {
              Thread t = new Thread(r, "cni-event-" + n.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
  }

  public void start() throws IOException {
    Files.createDirectories(socket.getParent());
    Files.deleteIfExists(socket); // a previous agent's; nobody listens on it any more
    server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
    server.bind(UnixDomainSocketAddress.of(socket));
    Files.setPosixFilePermissions(socket, PosixFilePermissions.fromString("rw-------"));
    acceptor = new Thread(this::acceptLoop, "cni-event-accept");
    acceptor.setDaemon(true);
    acceptor.start();
  }

  private void acceptLoop() {
    while (true) {
      SocketChannel c;
      try {
        c = server.accept();
      } catch (ClosedChannelException e) {
        return;
      } catch (IOException e) {
        LOG.warn("CNI event socket {}: accept failed: {}", socket, e.getMessage());
        continue;
      }
      workers.execute(() -> serve(c));
    }
  }

  private void serve(SocketChannel c) {
    try (c) {
      BufferedReader in =
          new BufferedReader(
              new InputStreamReader(Channels.newInputStream(c), StandardCharsets.UTF_8));
      String line = in.readLine();
      if (line == null) {
        return;
      }
      PluginEvent.Reply reply;
      try {
        reply = handler.apply(PluginEvent.Request.fromJson(line));
      } catch (IllegalArgumentException e) {
        reply = PluginEvent.Reply.failure("bad request: " + e.getMessage());
      } catch (RuntimeException e) {
        LOG.warn("CNI event failed", e);
        reply = PluginEvent.Reply.failure("CNI agent error: " + e);
      }
      c.write(ByteBuffer.wrap((reply.toJson() + "\n").getBytes(StandardCharsets.UTF_8)));
    } catch (IOException e) {
      LOG.warn("CNI event connection failed: {}", e.getMessage());
    }
  }

  @Override
  public void close() {
    try {
      if (server != null) {
        server.close();
      }
      Files.deleteIfExists(socket);
    } catch (IOException e) {
      LOG.warn("closing {}: {}", socket, e.getMessage());
    }
    workers.shutdownNow();
  }
}
