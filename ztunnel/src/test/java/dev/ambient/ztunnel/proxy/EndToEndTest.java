package dev.ambient.ztunnel.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.ambient.ztunnel.testing.RecordingTcpMetrics;
import dev.ambient.ztunnel.testing.ZtunnelPair;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class EndToEndTest {
  private ZtunnelPair pair;

  @BeforeEach
  void setUp() throws Exception {
    pair = new ZtunnelPair();
  }

  @AfterEach
  void tearDown() throws Exception {
    pair.close();
  }

  @Test
  void hundredMegabytesBothWaysArriveIntact() throws Exception {
    long total = 100L * 1024 * 1024;
    try (Socket s = pair.connect(pair.echoAddress())) {
      MessageDigest sentDigest = MessageDigest.getInstance("SHA-256");
      CompletableFuture<String> writer =
          CompletableFuture.supplyAsync(
              () -> {
                try {
                  OutputStream out = s.getOutputStream();
                  Random random = new Random(42);
                  byte[] chunk = new byte[256 * 1024];
                  for (long sent = 0; sent < total; sent += chunk.length) {
                    random.nextBytes(chunk);
                    sentDigest.update(chunk);
                    out.write(chunk);
                  }
                  out.flush();
                  s.shutdownOutput();
                  return HexFormat.of().formatHex(sentDigest.digest());
                } catch (Exception e) {
                  throw new IllegalStateException(e);
                }
              });
      MessageDigest receivedDigest = MessageDigest.getInstance("SHA-256");
      InputStream in = s.getInputStream();
      byte[] buf = new byte[256 * 1024];
      long received = 0;
      int n;
      while ((n = in.read(buf)) >= 0) {
        receivedDigest.update(buf, 0, n);
        received += n;
      }
      String sent = writer.join();
      assertThat(received).isEqualTo(total);
      assertThat(HexFormat.of().formatHex(receivedDigest.digest())).isEqualTo(sent);
      await().atMost(Duration.ofSeconds(10)).until(() -> !pair.echo.receivedDigests.isEmpty());
      assertThat(pair.echo.receivedDigests).containsExactly(sent);
    }
    // The destination side saw the client's verified identity in policy and metrics.
    assertThat(pair.b.authorizer.checks)
        .singleElement()
        .satisfies(c -> assertThat(c.sourcePrincipal()).isEqualTo(pair.client.identity()));
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> pair.b.metrics.closed().size() == 1 && pair.a.metrics.closed().size() == 1);
    RecordingTcpMetrics.Recorded inbound = pair.b.metrics.closed().get(0);
    assertThat(inbound.labels.sourcePrincipal()).isEqualTo(pair.client.identity());
    assertThat(inbound.labels.mutualTls()).isTrue();
    assertThat(inbound.sent.get()).isEqualTo(total);
    assertThat(inbound.received.get()).isEqualTo(total);
    assertThat(inbound.closeCount.get()).isEqualTo(1);
    assertThat(inbound.error).isNull();
    RecordingTcpMetrics.Recorded outbound = pair.a.metrics.closed().get(0);
    assertThat(outbound.labels.reporter()).isEqualTo("source");
    assertThat(outbound.labels.hboneAddress()).isNotNull();
    assertThat(outbound.sent.get()).isEqualTo(total);
    assertThat(outbound.received.get()).isEqualTo(total);
    assertThat(outbound.closeCount.get()).isEqualTo(1);
  }
}
