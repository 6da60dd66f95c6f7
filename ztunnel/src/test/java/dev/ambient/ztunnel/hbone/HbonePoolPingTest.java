package dev.ambient.ztunnel.hbone;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.ambient.api.spiffe.SpiffeId;
import dev.ambient.ztunnel.identity.WorkloadCertificate;
import dev.ambient.ztunnel.relay.NetTransport;
import dev.ambient.ztunnel.testing.TestAddresses;
import dev.ambient.ztunnel.testing.TestPki;
import dev.ambient.ztunnel.tls.TlsContexts;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.util.ReferenceCountUtil;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** A server that stops answering PINGs gets its pooled connection closed. */
class HbonePoolPingTest {

  @Test
  void unansweredPingClosesTheConnection() throws Exception {
    TestPki pki = new TestPki("cluster.local");
    SpiffeId serverId = pki.identity("default", "server");
    WorkloadCertificate serverCert = pki.issue(serverId);
    WorkloadCertificate clientCert = pki.issue(pki.identity("default", "client"));
    NetTransport transport = NetTransport.create(1);
    TlsContexts tls = new TlsContexts();
    Channel server =
        new ServerBootstrap()
            .group(transport.bossGroup(), transport.workerGroup())
            .channel(transport.serverChannelClass())
            .childHandler(
                new ChannelInitializer<Channel>() {
                  @Override
                  protected void initChannel(Channel ch) throws Exception {
                    ch.pipeline()
                        .addLast(tls.server(serverCert).newHandler(ch.alloc()))
                        // Never acknowledges PINGs: a hung peer.
                        .addLast(Http2FrameCodecBuilder.forServer().autoAckPingFrame(false).build())
                        .addLast(new Http2MultiplexHandler(new AnswerConnect()));
                  }
                })
            .bind(new InetSocketAddress(TestAddresses.next(), 0))
            .sync()
            .channel();
    HbonePoolSettings settings =
        HbonePoolSettings.DEFAULTS.withPing(Duration.ofMillis(100), Duration.ofMillis(300));
    HbonePool pool = new HbonePool(transport, tls, settings);
    try {
      Http2StreamChannel stream =
          pool.open(
                  clientCert,
                  Set.of(serverId),
                  (InetSocketAddress) server.localAddress(),
                  "10.0.0.1:80")
              .get(20, TimeUnit.SECONDS);
      assertThat(pool.pooledConnections()).isEqualTo(1);
      await().atMost(Duration.ofSeconds(20)).until(() -> !stream.parent().isActive());
      await().atMost(Duration.ofSeconds(20)).until(() -> pool.pooledConnections() == 0);
    } finally {
      pool.close();
      server.close().sync();
      transport.shutdown();
    }
  }

  /** Answers every CONNECT with 200 and keeps the stream open. */
  private static final class AnswerConnect extends ChannelInboundHandlerAdapter {
    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      if (msg instanceof Http2HeadersFrame) {
        ctx.writeAndFlush(new DefaultHttp2HeadersFrame(new DefaultHttp2Headers().status("200")));
      }
      ReferenceCountUtil.release(msg);
    }
  }
}
