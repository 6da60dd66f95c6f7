package dev.ambient.ztunnel.inpod;

import dev.ambient.ztunnel.inpod.protocol.CniCodec;
import dev.ambient.ztunnel.inpod.protocol.CniMessage;
import dev.ambient.ztunnel.inpod.protocol.CniProtocolException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * ztunnel's end of the CNI handoff: a unix stream socket on which the CNI step sends {@link
 * CniCodec} lines, each answered by one Ack line. One (blocking) thread per CNI connection: there
 * are few and messages are rare, and applying one may wait for binds, which an event loop must not.
 */
public final class InPodServer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(InPodServer.class);

  private final Path path;
  private final InPodManager manager;
  private final Set<SocketChannel> clients = ConcurrentHashMap.newKeySet();
  private final AtomicInteger connections = new AtomicInteger();
  private ServerSocketChannel server;
  private Thread acceptor;
  private volatile boolean listening;

  public InPodServer(Path path, InPodManager manager) {
    this.path = path;
    this.manager = manager;
  }

  /** Binds the socket (replacing a stale socket file of an earlier run) and starts accepting. */
  public synchronized void start() throws IOException {
    if (Files.exists(path) && !Files.isDirectory(path)) {
      // A previous ztunnel left it; the CNI step reconnects to whoever binds it now.
      Files.delete(path);
    }
    Path parent = path.toAbsolutePath().getParent();
    if (parent != null) {
      Files.createDirectories(parent);
    }
    server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
    try {
      server.bind(UnixDomainSocketAddress.of(path));
      Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rw-------"));
    } catch (IOException e) {
      server.close();
      throw new IOException("in-pod socket " + path + ": " + e.getMessage(), e);
    }
    listening = true;
    acceptor = new Thread(this::acceptLoop, "inpod-accept");
    acceptor.setDaemon(true);
    acceptor.start();
    LOG.info("in-pod socket listening on {}", path);
  }

  public boolean isListening() {
    return listening;
  }

  public Path path() {
    return path;
  }

  /** CNI connections open now. */
  public int openConnections() {
    return clients.size();
  }

  private void acceptLoop() {
    while (listening) {
      SocketChannel client;
      try {
        client = server.accept();
      } catch (ClosedChannelException e) {
        return;
      } catch (IOException e) {
        if (listening) {
          LOG.warn("in-pod socket {}: accept failed: {}", path, e.getMessage());
        }
        return;
      }
      clients.add(client);
      Thread t = new Thread(() -> serve(client), "inpod-cni-" + connections.incrementAndGet());
      t.setDaemon(true);
      t.start();
    }
  }

  private void serve(SocketChannel client) {
    InPodManager.Session session = manager.newSession();
    LOG.info("CNI connected to {}", path);
    try (client) {
      InputStream in = java.nio.channels.Channels.newInputStream(client);
      LineReader lines = new LineReader(in, CniCodec.MAX_LINE);
      while (true) {
        String line;
        CniMessage.Ack ack;
        try {
          line = lines.next();
          if (line == null) {
            break;
          }
          ack = session.handle(CniCodec.decode(line));
        } catch (CniProtocolException e) {
          LOG.warn("CNI message refused: {}", e.getMessage());
          ack = CniMessage.Ack.failure(e.getMessage());
        } catch (RuntimeException e) {
          // A bug in handling one message must not end the connection or ztunnel.
          LOG.error("CNI message failed", e);
          ack = CniMessage.Ack.failure("internal error: " + e);
        }
        write(client, CniCodec.encode(ack) + "\n");
      }
      LOG.info("CNI disconnected from {}", path);
    } catch (IOException e) {
      if (listening) {
        LOG.warn("CNI connection on {} ended: {}", path, e.getMessage());
      }
    } finally {
      clients.remove(client);
    }
  }

  private static void write(SocketChannel ch, String text) throws IOException {
    ByteBuffer b = ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8));
    while (b.hasRemaining()) {
      ch.write(b);
    }
  }

  @Override
  public synchronized void close() {
    listening = false;
    try {
      if (server != null) {
        server.close();
      }
    } catch (IOException e) {
      // closing anyway
    }
    for (SocketChannel c : clients) {
      try {
        c.close();
      } catch (IOException e) {
        // closing anyway
      }
    }
    try {
      Files.deleteIfExists(path);
    } catch (IOException e) {
      LOG.warn("cannot remove in-pod socket {}: {}", path, e.getMessage());
    }
  }

  /**
   * Newline-terminated UTF-8 lines of at most {@code max} bytes. A longer line is skipped up to its
   * newline and reported, so the connection stays usable for the next message.
   */
  static final class LineReader {
    private final InputStream in;
    private final int max;
    private final byte[] buf = new byte[8192];
    private int pos;
    private int end;

    LineReader(InputStream in, int max) {
      this.in = in;
      this.max = max;
    }

    /** The next line, or {@code null} at end of stream (a partial last line is dropped). */
    String next() throws IOException, CniProtocolException {
      ByteArrayOutputStream line = new ByteArrayOutputStream();
      boolean tooLong = false;
      while (true) {
        if (pos == end) {
          end = in.read(buf);
          pos = 0;
          if (end <= 0) {
            end = 0;
            return null;
          }
        }
        int nl = -1;
        for (int i = pos; i < end; i++) {
          if (buf[i] == '\n') {
            nl = i;
            break;
          }
        }
        int stop = nl >= 0 ? nl : end;
        if (!tooLong) {
          line.write(buf, pos, stop - pos);
          if (line.size() > max) {
            tooLong = true;
            line.reset();
          }
        }
        pos = nl >= 0 ? nl + 1 : end;
        if (nl >= 0) {
          if (tooLong) {
            throw new CniProtocolException("message longer than " + max + " bytes");
          }
          String s = line.toString(StandardCharsets.UTF_8);
          return s.endsWith("\r") ? s.substring(0, s.length() - 1) : s;
        }
      }
    }
  }
}
