package dev.ambient.controller.local;

import dev.ambient.ztunnel.inpod.Netns;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A TCP relay from a listening socket inside a network namespace to an address in this process's
 * own namespace: how a local waypoint reaches the controller's TLS port without any interface in
 * the root namespace. The socket is made on a thread that enters the namespace only for that call
 * (a socket stays in the namespace it was created in); bytes are copied as they are, TLS included,
 * so the waypoint still verifies the controller end to end. Blocking threads, not an event loop: a
 * waypoint opens a handful of long-lived connections.
 */
final class NetnsRelay implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(NetnsRelay.class);

  private final ServerSocket server;
  private final InetSocketAddress target;
  private final Set<Socket> open = ConcurrentHashMap.newKeySet();
  private volatile boolean closed;

  private NetnsRelay(ServerSocket server, InetSocketAddress target) {
    this.server = server;
    this.target = target;
  }

  static NetnsRelay start(Path netns, InetSocketAddress listen, InetSocketAddress target)
      throws IOException {
    ServerSocket server;
    try {
      server =
          Netns.runIn(
              netns,
              () -> {
                ServerSocket s = new ServerSocket();
                s.setReuseAddress(true);
                s.bind(listen, 16);
                return s;
              });
    } catch (IOException e) {
      throw e;
    } catch (Exception e) {
      throw new IOException("relay in " + netns + " on " + listen + ": " + e.getMessage(), e);
    }
    NetnsRelay relay = new NetnsRelay(server, target);
    Thread t = new Thread(relay::acceptLoop, "relay " + listen + " -> " + target);
    t.setDaemon(true);
    t.start();
    return relay;
  }

  private void acceptLoop() {
    while (!closed) {
      Socket in;
      try {
        in = server.accept();
      } catch (IOException e) {
        if (!closed) {
          log.warn("relay to {} stopped accepting: {}", target, e.toString());
        }
        return;
      }
      Socket out = new Socket();
      try {
        out.connect(target, 5000);
      } catch (IOException e) {
        log.warn("relay: cannot reach {}: {}", target, e.toString());
        closeQuietly(in);
        closeQuietly(out);
        continue;
      }
      open.add(in);
      open.add(out);
      pump(in, out);
      pump(out, in);
    }
  }

  private void pump(Socket from, Socket to) {
    Thread t =
        new Thread(
            () -> {
              byte[] buf = new byte[16 * 1024];
              try (InputStream i = from.getInputStream()) {
                OutputStream o = to.getOutputStream();
                int n;
                while ((n = i.read(buf)) >= 0) {
                  o.write(buf, 0, n);
                }
                to.shutdownOutput();
              } catch (IOException e) {
                // one side went away: both are closed below
              } finally {
                closeQuietly(from);
                closeQuietly(to);
                open.remove(from);
                open.remove(to);
              }
            },
            "relay-pump");
    t.setDaemon(true);
    t.start();
  }

  private static void closeQuietly(Socket s) {
    try {
      s.close();
    } catch (IOException ignored) {
      // closing anyway
    }
  }

  @Override
  public void close() {
    closed = true;
    try {
      server.close();
    } catch (IOException ignored) {
      // closing anyway
    }
    for (Socket s : open) {
      closeQuietly(s);
    }
  }
}
