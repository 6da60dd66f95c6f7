package dev.ambient.ztunnel.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ambient.ztunnel.testing.ZtunnelPair;
import java.io.DataInputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.Test;

/**
 * Several tunnels share one HBONE connection. When a destination application aborts its side while
 * the client is still pushing, the far ztunnel resets that stream, but DATA already in flight (up
 * to a whole stream window) keeps arriving for it. Those frames must not take the shared connection
 * down with them: the other tunnels on it carry on (iperf3's control connection beside its data
 * streams is the case that found this).
 */
class ResetStreamIsolationTest {

  @Test
  void abortedTunnelsDoNotTearDownTheirNeighbours() throws Exception {
    ExecutorService pool = Executors.newCachedThreadPool();
    try (ZtunnelPair pair = new ZtunnelPair();
        ServerSocket aborting = new ServerSocket()) {
      aborting.bind(new InetSocketAddress(pair.serverIp, 0));
      // Reads a little, then closes with unread data: the kernel answers the rest with RST.
      pool.submit(
          () -> {
            while (!aborting.isClosed()) {
              Socket s = aborting.accept();
              pool.submit(
                  () -> {
                    try (s) {
                      s.getInputStream().readNBytes(256 * 1024);
                    }
                    return null;
                  });
            }
            return null;
          });

      // The neighbour: a long-lived echo tunnel on the same HBONE connection.
      try (Socket neighbour = pair.connect(pair.echoAddress())) {
        assertThat(roundTrip(neighbour, "before")).isEqualTo("before");

        List<CompletableFuture<Void>> pushers = new ArrayList<>();
        for (int i = 0; i < 32; i++) {
          pushers.add(
              CompletableFuture.runAsync(
                  () -> {
                    try (Socket s =
                        pair.connect(
                            new InetSocketAddress(pair.serverIp, aborting.getLocalPort()))) {
                      OutputStream out = s.getOutputStream();
                      byte[] chunk = new byte[64 * 1024];
                      for (int n = 0; n < 1024; n++) { // up to 64 MiB, until the reset arrives
                        out.write(chunk);
                      }
                    } catch (Exception expectedReset) {
                      // The destination aborted: this tunnel is meant to fail.
                    }
                  },
                  pool));
        }
        CompletableFuture.allOf(pushers.toArray(CompletableFuture[]::new)).join();

        assertThat(roundTrip(neighbour, "after")).isEqualTo("after");
      }
    } finally {
      pool.shutdownNow();
    }
  }

  private static String roundTrip(Socket s, String text) throws Exception {
    s.setSoTimeout(10_000);
    OutputStream out = s.getOutputStream();
    out.write(text.getBytes());
    out.flush();
    InputStream in = new DataInputStream(s.getInputStream());
    byte[] back = in.readNBytes(text.length());
    return new String(back);
  }
}
