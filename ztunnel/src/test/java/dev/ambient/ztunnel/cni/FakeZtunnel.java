package dev.ambient.ztunnel.cni;

import dev.ambient.ztunnel.inpod.protocol.CniCodec;
import dev.ambient.ztunnel.inpod.protocol.CniMessage;
import dev.ambient.ztunnel.inpod.protocol.CniProtocolException;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;

/**
 * A stand-in for ztunnel's side of the CNI socket, and the only stand-in in these tests: the real
 * server is ztunnel's in-pod mode, built separately. It decodes each line with the real {@link
 * CniCodec}, records the message and answers with whatever {@link #answer} says: an Ack line, any
 * raw text (garbage), or null for no answer at all (to test timeouts).
 */
final class FakeZtunnel implements AutoCloseable {
  final Path socket;
  final List<CniMessage> received = new CopyOnWriteArrayList<>();
  final List<String> undecodable = new CopyOnWriteArrayList<>();
  volatile Function<CniMessage, String> answer = m -> CniCodec.encode(CniMessage.Ack.success());
  private final ServerSocketChannel server;
  private final List<SocketChannel> clients = new CopyOnWriteArrayList<>();
  private final Thread acceptor;

  FakeZtunnel(Path socket) throws IOException {
    this.socket = socket;
    Files.deleteIfExists(socket);
    server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
    server.bind(UnixDomainSocketAddress.of(socket));
    acceptor = new Thread(this::acceptLoop, "fake-ztunnel");
    acceptor.setDaemon(true);
    acceptor.start();
  }

  static String refuse(String reason) {
    return CniCodec.encode(CniMessage.Ack.failure(reason));
  }

  private void acceptLoop() {
    while (server.isOpen()) {
      try {
        SocketChannel c = server.accept();
        clients.add(c);
        Thread t = new Thread(() -> serve(c), "fake-ztunnel-conn");
        t.setDaemon(true);
        t.start();
      } catch (IOException e) {
        return;
      }
    }
  }

  private void serve(SocketChannel c) {
    try (c) {
      BufferedReader in =
          new BufferedReader(
              new InputStreamReader(Channels.newInputStream(c), StandardCharsets.UTF_8));
      OutputStream out = Channels.newOutputStream(c);
      String line;
      while ((line = in.readLine()) != null) {
        CniMessage m;
        try {
          m = CniCodec.decode(line);
        } catch (CniProtocolException e) {
          undecodable.add(line);
          out.write((refuse(e.getMessage()) + "\n").getBytes(StandardCharsets.UTF_8));
          continue;
        }
        received.add(m);
        String reply = answer.apply(m);
        if (reply != null) {
          out.write((reply + "\n").getBytes(StandardCharsets.UTF_8));
          out.flush();
        }
      }
    } catch (IOException e) {
      // The client hung up.
    }
  }

  @Override
  public void close() throws IOException {
    server.close();
    for (SocketChannel c : clients) {
      c.close();
    }
    Files.deleteIfExists(socket);
  }
}
