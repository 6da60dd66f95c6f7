package dev.ambient.ztunnel.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A blocking TCP server standing in for an application: echo (copies back, answers FIN with FIN),
 * sink-and-never-read (for backpressure) or a one-line identity answer.
 */
public final class TestBackend implements AutoCloseable {
  public enum Mode {
    /** Echo every byte; on EOF, shut down output after the echo. */
    ECHO,
    /** Accept and never read. */
    STALL,
    /** Write its own name, then echo. */
    NAMED_ECHO
  }

  private final ServerSocket server;
  private final Mode mode;
  private final String name;
  public final AtomicInteger accepted = new AtomicInteger();

  /** SHA-256 (hex) of everything each finished connection received. */
  public final List<String> receivedDigests = new CopyOnWriteArrayList<>();

  public final List<Socket> sockets = new CopyOnWriteArrayList<>();

  public TestBackend(InetAddress address, Mode mode, String name) throws IOException {
    this(address, 0, mode, name);
  }

  public TestBackend(InetAddress address, int port, Mode mode, String name) throws IOException {
    this.server = new ServerSocket();
    this.server.bind(new InetSocketAddress(address, port));
    this.mode = mode;
    this.name = name;
    Thread t = new Thread(this::acceptLoop, "backend-" + name);
    t.setDaemon(true);
    t.start();
  }

  public InetSocketAddress address() {
    return (InetSocketAddress) server.getLocalSocketAddress();
  }

  public int port() {
    return server.getLocalPort();
  }

  private void acceptLoop() {
    while (!server.isClosed()) {
      try {
        Socket s = server.accept();
        accepted.incrementAndGet();
        sockets.add(s);
        if (mode != Mode.STALL) {
          Thread t = new Thread(() -> serve(s), "backend-conn-" + name);
          t.setDaemon(true);
          t.start();
        }
      } catch (IOException e) {
        return;
      }
    }
  }

  private void serve(Socket s) {
    try (s) {
      MessageDigest digest = MessageDigest.getInstance("SHA-256");
      InputStream in = s.getInputStream();
      OutputStream out = s.getOutputStream();
      if (mode == Mode.NAMED_ECHO) {
        out.write((name + "\n").getBytes());
        out.flush();
      }
      byte[] buf = new byte[64 * 1024];
      int n;
      while ((n = in.read(buf)) >= 0) {
        digest.update(buf, 0, n);
        out.write(buf, 0, n);
      }
      receivedDigests.add(HexFormat.of().formatHex(digest.digest()));
      s.shutdownOutput();
    } catch (SocketException e) {
      // Peer reset: nothing to record.
    } catch (Exception e) {
      // Test backends never fail a test on their own; assertions look at what arrived.
    }
  }

  @Override
  public void close() throws IOException {
    server.close();
    for (Socket s : sockets) {
      s.close();
    }
  }
}
