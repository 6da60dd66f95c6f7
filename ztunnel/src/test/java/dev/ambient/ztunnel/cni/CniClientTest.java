package dev.ambient.ztunnel.cni;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ambient.ztunnel.inpod.protocol.CniMessage;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The client against {@link FakeZtunnel} (a stand-in for ztunnel's side) over real unix sockets.
 */
class CniClientTest {
  private static final CniMessage.AddPod ADD =
      new CniMessage.AddPod(
          "Kubernetes//Pod/default/client",
          "default",
          "client",
          "sleep",
          "/var/run/netns/x",
          List.of("10.71.1.2"));

  @TempDir Path dir;

  @Test
  void sendsOneLinePerMessageAndReturnsTheAck() throws Exception {
    try (FakeZtunnel z = new FakeZtunnel(dir.resolve("z.sock"));
        CniClient c = CniClient.connect(z.socket, Duration.ofSeconds(10))) {
      assertThat(c.send(ADD).ok()).isTrue();
      z.answer = m -> FakeZtunnel.refuse("no such netns");
      assertThat(c.send(new CniMessage.SnapshotSent()))
          .isEqualTo(CniMessage.Ack.failure("no such netns"));
      assertThat(z.received).containsExactly(ADD, new CniMessage.SnapshotSent());
      assertThat(z.undecodable).isEmpty();
    }
  }

  @Test
  void absentSocketIsUnreachable() {
    assertThatThrownBy(
            () -> CniClient.sendOne(dir.resolve("none.sock"), Duration.ofSeconds(1), ADD))
        .isInstanceOfSatisfying(
            CniClientException.class,
            e -> assertThat(e.kind()).isEqualTo(CniClientException.Kind.UNREACHABLE))
        .hasMessageContaining("none.sock does not exist");
  }

  @Test
  void socketWithoutListenerIsRefused() throws Exception {
    Path stale = dir.resolve("stale.sock");
    // A socket file left by a dead ztunnel: bound, then closed without unlinking.
    ServerSocketChannel s = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
    s.bind(UnixDomainSocketAddress.of(stale));
    s.close();
    assertThatThrownBy(() -> CniClient.sendOne(stale, Duration.ofSeconds(1), ADD))
        .isInstanceOfSatisfying(
            CniClientException.class,
            e -> assertThat(e.kind()).isEqualTo(CniClientException.Kind.UNREACHABLE))
        .hasMessageContaining("cannot connect to ztunnel socket " + stale);
  }

  @Test
  void silenceIsATimeout() throws Exception {
    try (FakeZtunnel z = new FakeZtunnel(dir.resolve("z.sock"))) {
      z.answer = m -> null;
      assertThatThrownBy(() -> CniClient.sendOne(z.socket, Duration.ofMillis(300), ADD))
          .isInstanceOfSatisfying(
              CniClientException.class,
              e -> assertThat(e.kind()).isEqualTo(CniClientException.Kind.TIMEOUT))
          .hasMessageContaining("did not answer within 300 ms");
    }
  }

  @Test
  void garbageIsAProtocolError() throws Exception {
    try (FakeZtunnel z = new FakeZtunnel(dir.resolve("z.sock"))) {
      z.answer = m -> "HTTP/1.1 400 Bad Request";
      assertThatThrownBy(() -> CniClient.sendOne(z.socket, Duration.ofSeconds(10), ADD))
          .isInstanceOfSatisfying(
              CniClientException.class,
              e -> assertThat(e.kind()).isEqualTo(CniClientException.Kind.PROTOCOL))
          .hasMessageContaining("not an acknowledgement");
      z.answer = m -> "{\"ok\":\"yes\"}";
      assertThatThrownBy(() -> CniClient.sendOne(z.socket, Duration.ofSeconds(10), ADD))
          .hasMessageContaining("field ok");
    }
  }

  @Test
  void hangUpWithoutAnswerIsUnreachable() throws Exception {
    try (FakeZtunnel z = new FakeZtunnel(dir.resolve("z.sock"))) {
      z.answer =
          m -> {
            try {
              z.close();
            } catch (Exception e) {
              throw new IllegalStateException(e);
            }
            return null;
          };
      assertThatThrownBy(() -> CniClient.sendOne(z.socket, Duration.ofSeconds(10), ADD))
          .isInstanceOfSatisfying(
              CniClientException.class,
              e -> assertThat(e.kind()).isEqualTo(CniClientException.Kind.UNREACHABLE));
    }
  }
}
