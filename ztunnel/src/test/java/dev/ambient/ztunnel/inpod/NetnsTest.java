package dev.ambient.ztunnel.inpod;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ambient.ztunnel.relay.NetTransport;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ServerChannel;
import java.io.IOException;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The natives and the central assumption of in-pod mode: a socket belongs to the namespace of the
 * thread that created it, so a Netty channel constructed inside {@link Netns#run} listens (and
 * connects) in the pod, while the event loops stay in ztunnel's namespace.
 */
@Tag("root")
class NetnsTest {
  private static NetnsPair pair;
  private static NetTransport transport;

  @BeforeAll
  static void setUp() throws IOException {
    Assumptions.assumeTrue(NetnsPair.isRoot(), "skipped: needs root for network namespaces");
    transport = NetTransport.create(1);
    Assumptions.assumeTrue(
        "io_uring".equals(transport.name()),
        "skipped: in-pod mode needs io_uring, transport is " + transport.name());
    pair = new NetnsPair();
  }

  @AfterAll
  static void tearDown() {
    if (pair != null) {
      pair.close();
    }
    if (transport != null) {
      transport.shutdown();
    }
  }

  private static String threadNetns() throws IOException {
    return Files.readSymbolicLink(Path.of("/proc/thread-self/ns/net")).toString();
  }

  @Test
  void runEntersAndAlwaysReturns() throws Exception {
    String before = threadNetns();
    String inside = Netns.runIn(NetnsPair.path(pair.a), NetnsTest::threadNetns);
    assertThat(inside).isNotEqualTo(before);
    assertThat(threadNetns()).isEqualTo(before);

    try (Netns ns = Netns.open(NetnsPair.path(pair.a))) {
      assertThatThrownBy(
              () ->
                  ns.run(
                      () -> {
                        throw new IllegalArgumentException("task failed");
                      }))
          .hasMessage("task failed");
      assertThat(threadNetns()).isEqualTo(before);
      assertThat(ns.run(NetnsTest::threadNetns)).isEqualTo(inside);
    }
  }

  @Test
  void missingOrBogusNamespacesFailWithTheCallAndErrno(@TempDir Path dir) throws IOException {
    assertThatThrownBy(() -> Netns.open(dir.resolve("nope")))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("open(")
        .hasMessageContaining("ENOENT");
    Path file = Files.writeString(dir.resolve("plain"), "x");
    assertThatThrownBy(() -> Netns.open(file))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("not a network namespace")
        .hasMessageContaining("setns(")
        .hasMessageContaining("EINVAL");
  }

  @Test
  void closedNamespaceRefusesToRun() throws Exception {
    Netns ns = Netns.open(NetnsPair.path(pair.a));
    ns.close();
    assertThatThrownBy(() -> ns.run(() -> 1)).hasMessageContaining("is closed");
  }

  @Test
  void serverMadeInNamespaceIsReachableAtPodIpOnly() throws Exception {
    try (Netns nsB = Netns.open(NetnsPair.path(pair.b));
        Netns nsA = Netns.open(NetnsPair.path(pair.a))) {
      CompletableFuture<String> received = new CompletableFuture<>();
      Channel server = bindIn(nsB, received, null);
      int port = ((InetSocketAddress) server.localAddress()).getPort();
      try {
        // From the other namespace, at the pod's address: accepted.
        try (Socket s = nsA.run(() -> connect(new InetSocketAddress(pair.ipB, port)))) {
          OutputStream out = s.getOutputStream();
          out.write("hello\n".getBytes());
          out.flush();
          assertThat(received.get(10, TimeUnit.SECONDS)).isEqualTo("hello\n");
        }
        // From ztunnel's own namespace, on loopback: nothing listens there.
        assertThatThrownBy(
                () -> connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port)))
            .isInstanceOf(ConnectException.class);
      } finally {
        server.close().sync();
      }
    }
  }

  @Test
  void originalDestinationAfterRedirect() throws Exception {
    try (Netns nsB = Netns.open(NetnsPair.path(pair.b));
        Netns nsA = Netns.open(NetnsPair.path(pair.a))) {
      CompletableFuture<InetSocketAddress> original = new CompletableFuture<>();
      Channel server = bindIn(nsB, null, original);
      int port = ((InetSocketAddress) server.localAddress()).getPort();
      NetnsPair.exec(
          pair.b,
          "iptables",
          "-t",
          "nat",
          "-A",
          "PREROUTING",
          "-p",
          "tcp",
          "--dport",
          "7777",
          "-j",
          "REDIRECT",
          "--to-ports",
          Integer.toString(port));
      try (Socket s = nsA.run(() -> connect(new InetSocketAddress(pair.ipB, 7777)))) {
        assertThat(original.get(10, TimeUnit.SECONDS))
            .isEqualTo(new InetSocketAddress(pair.ipB, 7777));
      } finally {
        NetnsPair.exec(
            pair.b,
            "iptables",
            "-t",
            "nat",
            "-D",
            "PREROUTING",
            "-p",
            "tcp",
            "--dport",
            "7777",
            "-j",
            "REDIRECT",
            "--to-ports",
            Integer.toString(port));
        server.close().sync();
      }
    }
  }

  @Test
  void markIsSetAndReadBack() throws Exception {
    try (Netns nsA = Netns.open(NetnsPair.path(pair.a))) {
      Channel ch =
          nsA.run(
              () -> {
                Channel c = transport.channelClass().getConstructor().newInstance();
                SocketOptions.setMark(SocketOptions.fd(c), SocketOptions.ZTUNNEL_MARK);
                return c;
              });
      try {
        assertThat(SocketOptions.mark(SocketOptions.fd(ch))).isEqualTo(0x539);
        // The mark the CNI step's rules exempt.
        assertThat(SocketOptions.ZTUNNEL_MARK)
            .isEqualTo(dev.ambient.ztunnel.cni.InPodRules.ZTUNNEL_MARK);
      } finally {
        ch.unsafe().closeForcibly();
      }
    }
  }

  @Test
  void badFdsFailWithTheCallAndErrno() {
    assertThatThrownBy(() -> SocketOptions.originalDestination(-1))
        .hasMessageContaining("SO_ORIGINAL_DST")
        .hasMessageContaining("EBADF");
    assertThatThrownBy(() -> SocketOptions.setMark(-1, 1))
        .hasMessageContaining("SO_MARK")
        .hasMessageContaining("EBADF");
  }

  private static Socket connect(InetSocketAddress to) throws IOException {
    Socket s = new Socket();
    s.connect(to, 5000);
    return s;
  }

  private static Channel bindIn(
      Netns ns, CompletableFuture<String> received, CompletableFuture<InetSocketAddress> original)
      throws Exception {
    ServerBootstrap b =
        new ServerBootstrap()
            .group(transport.bossGroup(), transport.workerGroup())
            .channelFactory(
                () -> {
                  try {
                    return ns.run(
                        () ->
                            (ServerChannel)
                                transport.serverChannelClass().getConstructor().newInstance());
                  } catch (Exception e) {
                    throw new IllegalStateException(e);
                  }
                })
            .childHandler(
                new ChannelInitializer<Channel>() {
                  @Override
                  protected void initChannel(Channel ch) throws Exception {
                    if (original != null) {
                      original.complete(SocketOptions.originalDestination(SocketOptions.fd(ch)));
                    }
                    if (received != null) {
                      ch.pipeline()
                          .addLast(
                              new io.netty.channel.SimpleChannelInboundHandler<
                                  io.netty.buffer.ByteBuf>() {
                                @Override
                                protected void channelRead0(
                                    io.netty.channel.ChannelHandlerContext ctx,
                                    io.netty.buffer.ByteBuf msg) {
                                  received.complete(
                                      msg.toString(java.nio.charset.StandardCharsets.US_ASCII));
                                }
                              });
                    }
                  }
                });
    return b.bind(new InetSocketAddress("0.0.0.0", 0)).sync().channel();
  }
}
