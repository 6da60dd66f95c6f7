package dev.ambient.ztunnel.inpod;

import dev.ambient.ztunnel.inpod.protocol.CniCodec;
import dev.ambient.ztunnel.inpod.protocol.CniMessage;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/** The CNI side of the handoff, as raw lines, for tests. */
final class CniTestClient implements AutoCloseable {
  private final SocketChannel ch;
  private final BufferedReader in;

  CniTestClient(Path socket) throws IOException {
    ch = SocketChannel.open(StandardProtocolFamily.UNIX);
    ch.connect(UnixDomainSocketAddress.of(socket));
    in =
        new BufferedReader(
            new InputStreamReader(Channels.newInputStream(ch), StandardCharsets.UTF_8));
  }

  CniMessage.Ack send(CniMessage m) throws Exception {
    return sendLine(CniCodec.encode(m));
  }

  CniMessage.Ack sendLine(String line) throws Exception {
    ByteBuffer b = ByteBuffer.wrap((line + "\n").getBytes(StandardCharsets.UTF_8));
    while (b.hasRemaining()) {
      ch.write(b);
    }
    String answer = in.readLine();
    if (answer == null) {
      throw new IOException("ztunnel closed the CNI connection");
    }
    return CniCodec.decodeAck(answer);
  }

  @Override
  public void close() throws IOException {
    ch.close();
  }
}
