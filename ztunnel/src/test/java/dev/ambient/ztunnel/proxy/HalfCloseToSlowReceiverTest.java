package dev.ambient.ztunnel.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ambient.ztunnel.testing.ZtunnelPair;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * A sender that writes a burst and half-closes at once, towards a receiver that drains slowly: when
 * the end of stream reaches the far ztunnel, bytes are still queued towards the receiver
 * (backpressure). Ending the output must wait for them; shutting the socket's output at once would
 * drop the queued tail.
 */
class HalfCloseToSlowReceiverTest {

  @Test
  void everyQueuedByteIsDeliveredBeforeTheFinBothWays() throws Exception {
    int total = 16 << 20;
    try (ZtunnelPair pair = new ZtunnelPair();
        ServerSocket slowSink = new ServerSocket()) {
      slowSink.bind(new InetSocketAddress(pair.serverIp, 0));
      slowSink.setReceiveBufferSize(64 * 1024);
      CompletableFuture<Long> sinkCount =
          CompletableFuture.supplyAsync(
              () -> {
                try (Socket s = slowSink.accept()) {
                  InputStream in = s.getInputStream();
                  byte[] buf = new byte[64 * 1024];
                  long n = 0;
                  int r;
                  while ((r = in.read(buf)) >= 0) {
                    n += r;
                    Thread.sleep(2); // drain slowly so data queues in the far ztunnel
                  }
                  // Answer with a burst of its own and half-close at once, towards a client
                  // that also reads slowly: the same hazard in the reverse direction.
                  DataOutputStream out = new DataOutputStream(s.getOutputStream());
                  out.writeLong(n);
                  out.write(new byte[total]);
                  out.flush();
                  s.shutdownOutput();
                  s.getInputStream().read();
                  return n;
                } catch (Exception e) {
                  throw new IllegalStateException(e);
                }
              });
      try (Socket client =
          pair.connect(new InetSocketAddress(pair.serverIp, slowSink.getLocalPort()))) {
        OutputStream out = client.getOutputStream();
        out.write(new byte[total]);
        out.flush();
        client.shutdownOutput();
        DataInputStream in = new DataInputStream(client.getInputStream());
        assertThat(in.readLong()).as("bytes the receiver got").isEqualTo(total);
        byte[] buf = new byte[64 * 1024];
        long back = 0;
        int r;
        while ((r = in.read(buf)) >= 0) {
          back += r;
          Thread.sleep(2);
        }
        assertThat(back).as("bytes the client got back").isEqualTo(total);
      }
      assertThat(sinkCount.join()).isEqualTo(total);
    }
  }
}
