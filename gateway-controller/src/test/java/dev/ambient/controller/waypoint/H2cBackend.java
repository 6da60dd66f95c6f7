package dev.ambient.controller.waypoint;

import dev.ambient.ztunnel.relay.NetTransport;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.handler.codec.http2.DefaultHttp2DataFrame;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.util.ReferenceCountUtil;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;

/**
 * An HTTP/2-only server (h2c with prior knowledge, as gRPC servers are): it answers every request
 * with 200, {@code x-upstream-protocol: h2}, the path ({@code x-path}) and each request header
 * {@code h} it got as {@code x-echo-h}; an HTTP/1.1 request gets no answer.
 */
final class H2cBackend implements AutoCloseable {
  private final Channel server;

  H2cBackend(NetTransport transport, InetAddress address) throws InterruptedException {
    server =
        new ServerBootstrap()
            .group(transport.bossGroup(), transport.workerGroup())
            .channel(transport.serverChannelClass())
            .childHandler(
                new ChannelInitializer<Channel>() {
                  @Override
                  protected void initChannel(Channel ch) {
                    ch.pipeline()
                        .addLast(Http2FrameCodecBuilder.forServer().build())
                        .addLast(new Http2MultiplexHandler(new Answer()));
                  }
                })
            .bind(new InetSocketAddress(address, 0))
            .sync()
            .channel();
  }

  int port() {
    return ((InetSocketAddress) server.localAddress()).getPort();
  }

  @Override
  public void close() {
    server.close().syncUninterruptibly();
  }

  private static final class Answer extends ChannelInboundHandlerAdapter {
    @Override
    public boolean isSharable() {
      return true;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      try {
        if (msg instanceof Http2HeadersFrame request && request.isEndStream()) {
          String path = String.valueOf(request.headers().path());
          DefaultHttp2Headers answer = new DefaultHttp2Headers();
          answer.status("200").set("x-upstream-protocol", "h2").set("x-path", path);
          // What reached the server, for tests of header filters.
          request
              .headers()
              .forEach(
                  h -> {
                    if (h.getKey().length() > 0 && h.getKey().charAt(0) != ':') {
                      answer.add("x-echo-" + h.getKey(), h.getValue());
                    }
                  });
          ctx.write(new DefaultHttp2HeadersFrame(answer));
          ctx.writeAndFlush(
              new DefaultHttp2DataFrame(
                  Unpooled.copiedBuffer("ok", StandardCharsets.US_ASCII), true));
        }
      } finally {
        ReferenceCountUtil.release(msg);
      }
    }
  }
}
