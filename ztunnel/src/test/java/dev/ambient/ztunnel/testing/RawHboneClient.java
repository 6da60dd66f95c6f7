package dev.ambient.ztunnel.testing;

import dev.ambient.ztunnel.relay.NetTransport;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2FrameLogger;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamChannelBootstrap;
import io.netty.handler.logging.LogLevel;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.handler.ssl.SslProvider;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.concurrent.CompletableFuture;

/**
 * A deliberately unchecked HTTP/2-over-TLS client for bad-input tests: any client certificate (or
 * none), any request headers. Completes with the response {@code :status}, or fails when the server
 * refuses the connection.
 */
public final class RawHboneClient {
  private RawHboneClient() {}

  /** TLS 1.3 + ALPN h2 client context presenting the key and chain (or nothing when null). */
  public static SslContext context(PrivateKey key, X509Certificate... chain) {
    try {
      SslContextBuilder b =
          SslContextBuilder.forClient()
              .sslProvider(OpenSsl.isAvailable() ? SslProvider.OPENSSL : SslProvider.JDK)
              .protocols("TLSv1.3")
              .trustManager(InsecureTrustManagerFactory.INSTANCE)
              .endpointIdentificationAlgorithm(null)
              .applicationProtocolConfig(
                  new ApplicationProtocolConfig(
                      ApplicationProtocolConfig.Protocol.ALPN,
                      ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
                      ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT,
                      ApplicationProtocolNames.HTTP_2));
      if (key != null) {
        b.keyManager(key, chain);
      }
      return b.build();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  public static CompletableFuture<Integer> request(
      NetTransport transport, SslContext ctx, InetSocketAddress server, Http2Headers headers) {
    return request(transport, ctx, server, headers, false);
  }

  /** Like {@link #request}, optionally ending the stream with the request headers. */
  public static CompletableFuture<Integer> request(
      NetTransport transport,
      SslContext ctx,
      InetSocketAddress server,
      Http2Headers headers,
      boolean endStream) {
    return connection(transport, ctx, server, new java.util.concurrent.ConcurrentLinkedQueue<>())
        .thenCompose(parent -> stream(parent, headers, endStream, true))
        .thenApply(Response::status);
  }

  /** An opened stream, and its response {@code :status} (0 when not awaited). */
  public record Response(Http2StreamChannel channel, int status) {}

  /**
   * An HTTP/2 connection for tests that drive streams themselves: completes with the parent channel
   * once TLS and the HTTP/2 codec are up. The GOAWAY and RST_STREAM frames the server sends are
   * added to {@code received} as {@code "GOAWAY <code>"} and {@code "RST_STREAM <stream> <code>"}.
   */
  public static CompletableFuture<Channel> connection(
      NetTransport transport,
      SslContext ctx,
      InetSocketAddress server,
      java.util.Queue<String> received) {
    CompletableFuture<Channel> result = new CompletableFuture<>();
    new Bootstrap()
        .group(transport.workerGroup())
        .channel(transport.channelClass())
        .handler(
            new ChannelInitializer<Channel>() {
              @Override
              protected void initChannel(Channel ch) {
                ch.pipeline()
                    .addLast(ctx.newHandler(ch.alloc()))
                    .addLast(
                        new ChannelInboundHandlerAdapter() {
                          @Override
                          public void userEventTriggered(ChannelHandlerContext c, Object evt) {
                            if (evt instanceof SslHandshakeCompletionEvent done) {
                              if (!done.isSuccess()) {
                                result.completeExceptionally(done.cause());
                                c.close();
                                return;
                              }
                              c.pipeline()
                                  .addLast(
                                      Http2FrameCodecBuilder.forClient()
                                          .frameLogger(recorder(received))
                                          .build())
                                  .addLast(
                                      new Http2MultiplexHandler(
                                          new ChannelInboundHandlerAdapter() {
                                            @Override
                                            public void channelRead(
                                                ChannelHandlerContext s, Object msg) {
                                              ReferenceCountUtil.release(msg);
                                            }
                                          }));
                              result.complete(c.channel());
                            }
                          }

                          @Override
                          public void channelInactive(ChannelHandlerContext c) {
                            result.completeExceptionally(new IOException("connection closed"));
                          }

                          @Override
                          public void exceptionCaught(ChannelHandlerContext c, Throwable cause) {
                            result.completeExceptionally(cause);
                            c.close();
                          }
                        });
              }
            })
        .connect(server)
        .addListener(
            f -> {
              if (!f.isSuccess()) {
                result.completeExceptionally(f.cause());
              }
            });
    return result;
  }

  /** Records inbound GOAWAY and RST_STREAM as they arrive, before any stream-state check. */
  private static Http2FrameLogger recorder(java.util.Queue<String> received) {
    return new Http2FrameLogger(LogLevel.TRACE) {
      @Override
      public void logRstStream(
          Direction direction, ChannelHandlerContext ctx, int streamId, long errorCode) {
        if (direction == Direction.INBOUND) {
          received.add("RST_STREAM " + streamId + " " + errorCode);
        }
      }

      @Override
      public void logGoAway(
          Direction direction,
          ChannelHandlerContext ctx,
          int lastStreamId,
          long errorCode,
          io.netty.buffer.ByteBuf debugData) {
        if (direction == Direction.INBOUND) {
          received.add("GOAWAY " + errorCode);
        }
      }
    };
  }

  /**
   * Opens a stream on a {@link #connection} and sends {@code headers} (ending the stream with them
   * when {@code endStream}); completes once the response {@code :status} arrived, or at once when
   * {@code awaitResponse} is false. Fails when the stream or connection closes first.
   */
  public static CompletableFuture<Response> stream(
      Channel parent, Http2Headers headers, boolean endStream, boolean awaitResponse) {
    CompletableFuture<Response> result = new CompletableFuture<>();
    // A server refusing the client after TLS 1.3's handshake (which completes before it checked the
    // client's certificate) closes the connection under a stream that may not exist yet.
    parent
        .closeFuture()
        .addListener(f -> result.completeExceptionally(new IOException("connection closed")));
    new Http2StreamChannelBootstrap(parent)
        .handler(
            new ChannelInboundHandlerAdapter() {
              @Override
              public void channelRead(ChannelHandlerContext c, Object msg) {
                try {
                  if (msg instanceof Http2HeadersFrame h && h.headers().status() != null) {
                    int status = Integer.parseInt(h.headers().status().toString());
                    result.complete(new Response((Http2StreamChannel) c.channel(), status));
                  }
                } finally {
                  ReferenceCountUtil.release(msg);
                }
              }

              @Override
              public void channelInactive(ChannelHandlerContext c) {
                result.completeExceptionally(new IOException("stream closed"));
              }
            })
        .open()
        .addListener(
            f -> {
              if (!f.isSuccess()) {
                result.completeExceptionally(f.cause());
                return;
              }
              Http2StreamChannel stream = (Http2StreamChannel) f.getNow();
              stream.writeAndFlush(new DefaultHttp2HeadersFrame(headers, endStream));
              if (!awaitResponse) {
                result.complete(new Response(stream, 0));
              }
            });
    return result;
  }
}
