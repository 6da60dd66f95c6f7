package dev.ambient.ztunnel.cni;

import dev.ambient.ztunnel.inpod.protocol.CniCodec;
import dev.ambient.ztunnel.inpod.protocol.CniMessage;
import dev.ambient.ztunnel.inpod.protocol.CniProtocolException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/**
 * The CNI side of the in-pod handoff: one connection to the node's ztunnel over its unix socket, on
 * which each {@link CniMessage} is written as one line and answered by one {@link CniMessage.Ack}
 * line. Every way this can fail becomes a {@link CniClientException} that says which socket and
 * what happened. Not thread-safe: one exchange at a time.
 */
public final class CniClient implements AutoCloseable {
  public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(10);

  private final Path socket;
  private final Duration timeout;
  private final SocketChannel channel;
  private final Selector selector;
  private final ByteArrayOutputStream pending = new ByteArrayOutputStream();

  private CniClient(Path socket, Duration timeout, SocketChannel channel, Selector selector) {
    this.socket = socket;
    this.timeout = timeout;
    this.channel = channel;
    this.selector = selector;
  }

  /** Connects to ztunnel's socket; every later read waits at most {@code timeout}. */
  public static CniClient connect(Path socket, Duration timeout) throws CniClientException {
    Objects.requireNonNull(socket, "socket");
    if (timeout.isNegative() || timeout.isZero()) {
      throw new IllegalArgumentException("timeout: must be positive, got " + timeout);
    }
    if (!Files.exists(socket)) {
      throw new CniClientException(
          CniClientException.Kind.UNREACHABLE,
          "ztunnel socket " + socket + " does not exist (is ztunnel running on this node?)",
          null);
    }
    SocketChannel channel = null;
    Selector selector = null;
    try {
      channel = SocketChannel.open(StandardProtocolFamily.UNIX);
      // A unix-socket connect completes (or fails) at once; blocking mode is fine for it.
      channel.connect(UnixDomainSocketAddress.of(socket));
      channel.configureBlocking(false);
      selector = Selector.open();
      return new CniClient(socket, timeout, channel, selector);
    } catch (IOException e) {
      closeQuietly(channel);
      closeQuietly(selector);
      throw new CniClientException(
          CniClientException.Kind.UNREACHABLE,
          "cannot connect to ztunnel socket " + socket + ": " + reason(e),
          e);
    }
  }

  /** Sends one message and returns ztunnel's acknowledgement (which may be a refusal). */
  public CniMessage.Ack send(CniMessage message) throws CniClientException {
    long deadline = System.nanoTime() + timeout.toNanos();
    byte[] line = (CniCodec.encode(message) + "\n").getBytes(StandardCharsets.UTF_8);
    try {
      write(ByteBuffer.wrap(line), deadline);
      String answer = readLine(deadline);
      return CniCodec.decodeAck(answer);
    } catch (CniProtocolException e) {
      throw new CniClientException(
          CniClientException.Kind.PROTOCOL,
          "ztunnel at "
              + socket
              + " answered something that is not an acknowledgement: "
              + e.getMessage(),
          e);
    } catch (CniClientException e) {
      throw e;
    } catch (IOException e) {
      throw new CniClientException(
          CniClientException.Kind.UNREACHABLE,
          "connection to ztunnel socket " + socket + " failed: " + reason(e),
          e);
    }
  }

  /** Connects, sends one message, closes. */
  public static CniMessage.Ack sendOne(Path socket, Duration timeout, CniMessage message)
      throws CniClientException {
    try (CniClient client = connect(socket, timeout)) {
      return client.send(message);
    }
  }

  @Override
  public void close() {
    closeQuietly(selector);
    closeQuietly(channel);
  }

  private void write(ByteBuffer buf, long deadline) throws IOException {
    while (buf.hasRemaining()) {
      if (channel.write(buf) == 0) {
        await(SelectionKey.OP_WRITE, deadline, "accept the message");
      }
    }
  }

  private String readLine(long deadline) throws IOException {
    ByteBuffer buf = ByteBuffer.allocate(4096);
    while (true) {
      byte[] bytes = pending.toByteArray();
      for (int i = 0; i < bytes.length; i++) {
        if (bytes[i] == '\n') {
          pending.reset();
          pending.write(bytes, i + 1, bytes.length - i - 1);
          return new String(bytes, 0, i, StandardCharsets.UTF_8);
        }
      }
      if (bytes.length > CniCodec.MAX_LINE) {
        throw new CniClientException(
            CniClientException.Kind.PROTOCOL,
            "ztunnel at " + socket + " answered a line longer than " + CniCodec.MAX_LINE + " bytes",
            null);
      }
      buf.clear();
      int n = channel.read(buf);
      if (n < 0) {
        throw new CniClientException(
            CniClientException.Kind.UNREACHABLE,
            "ztunnel at " + socket + " closed the connection without answering",
            null);
      }
      if (n == 0) {
        await(SelectionKey.OP_READ, deadline, "answer");
      } else {
        pending.write(buf.array(), 0, n);
      }
    }
  }

  /** Waits until the channel is ready for {@code op} (the caller retries) or the deadline. */
  private void await(int op, long deadline, String what) throws IOException {
    long left = deadline - System.nanoTime();
    if (left <= 0) {
      throw new CniClientException(
          CniClientException.Kind.TIMEOUT,
          "ztunnel at " + socket + " did not " + what + " within " + timeout.toMillis() + " ms",
          null);
    }
    SelectionKey key = channel.register(selector, op);
    try {
      selector.select(Math.max(1, left / 1_000_000));
      selector.selectedKeys().clear();
    } finally {
      key.interestOps(0);
    }
  }

  private static String reason(IOException e) {
    return e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
  }

  private static void closeQuietly(AutoCloseable c) {
    if (c != null) {
      try {
        c.close();
      } catch (Exception e) {
        // Closing a socket we are abandoning: nothing useful to do with a failure.
      }
    }
  }
}
