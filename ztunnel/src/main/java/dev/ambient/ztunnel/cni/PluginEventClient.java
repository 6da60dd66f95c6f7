package dev.ambient.ztunnel.cni;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/** The plugin's side of {@link PluginEvent}: one request, one reply, within a deadline. */
public final class PluginEventClient {
  private PluginEventClient() {}

  /**
   * @throws CniClientException UNREACHABLE when there is no agent on the socket, PROTOCOL when its
   *     answer is not a reply, SILENT when it does not answer in time
   */
  public static PluginEvent.Reply send(Path socket, Duration timeout, PluginEvent.Request request)
      throws CniClientException {
    if (!Files.exists(socket)) {
      throw new CniClientException(
          CniClientException.Kind.UNREACHABLE,
          "CNI agent socket " + socket + " does not exist (is the CNI agent running on this node?)",
          null);
    }
    ScheduledExecutorService watchdog =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "cni-plugin-deadline");
              t.setDaemon(true);
              return t;
            });
    try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX)) {
      // Blocking reads have no timeout of their own: closing the channel at the deadline ends them.
      watchdog.schedule(
          () -> {
            try {
              channel.close();
            } catch (IOException ignored) {
              // Already closed.
            }
          },
          timeout.toMillis(),
          TimeUnit.MILLISECONDS);
      try {
        channel.connect(UnixDomainSocketAddress.of(socket));
      } catch (IOException e) {
        throw new CniClientException(
            CniClientException.Kind.UNREACHABLE,
            "cannot connect to the CNI agent socket " + socket + ": " + e.getMessage(),
            e);
      }
      channel.write(ByteBuffer.wrap((request.toJson() + "\n").getBytes(StandardCharsets.UTF_8)));
      BufferedReader in =
          new BufferedReader(
              new InputStreamReader(Channels.newInputStream(channel), StandardCharsets.UTF_8));
      String line = in.readLine();
      if (line == null) {
        throw new CniClientException(
            CniClientException.Kind.PROTOCOL,
            "the CNI agent at " + socket + " closed the connection without an answer",
            null);
      }
      try {
        return PluginEvent.Reply.fromJson(line);
      } catch (IllegalArgumentException e) {
        throw new CniClientException(
            CniClientException.Kind.PROTOCOL,
            "the CNI agent at " + socket + " answered garbage: " + e.getMessage(),
            e);
      }
    } catch (CniClientException e) {
      throw e;
    } catch (IOException e) {
      throw new CniClientException(
          CniClientException.Kind.TIMEOUT,
          "no answer from the CNI agent at " + socket + " within " + timeout + ": " + e,
          e);
    } finally {
      watchdog.shutdownNow();
    }
  }
}
