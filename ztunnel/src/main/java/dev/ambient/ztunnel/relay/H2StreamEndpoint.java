package dev.ambient.ztunnel.relay;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http2.DefaultHttp2DataFrame;
import io.netty.handler.codec.http2.Http2DataFrame;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.handler.codec.http2.Http2ResetFrame;

/**
 * An HTTP/2 stream side of a relay (an HBONE tunnel). DATA carries the bytes, END_STREAM is the
 * half-close; trailers only end the stream. RST_STREAM aborts the relay.
 */
final class H2StreamEndpoint extends RelayEndpoint {

  H2StreamEndpoint(RelaySession session, Channel channel, boolean isDownstream) {
    super(session, channel, isDownstream);
  }

  @Override
  String name() {
    return (isDownstream ? "downstream" : "upstream") + " HBONE stream " + channel;
  }

  @Override
  void write(ByteBuf data) {
    channel.write(new DefaultHttp2DataFrame(data), channel.voidPromise());
  }

  @Override
  ChannelFuture shutdownOutput() {
    return channel.writeAndFlush(new DefaultHttp2DataFrame(Unpooled.EMPTY_BUFFER, true));
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (msg instanceof Http2DataFrame data) {
      boolean end = data.isEndStream();
      // The frame's content moves on to the peer; the frame holds no other resources.
      forward(data.content());
      if (end) {
        peer.flush();
        inputEnded();
      }
    } else if (msg instanceof Http2HeadersFrame headers) {
      if (headers.isEndStream()) {
        peer.flush();
        inputEnded();
      }
    } else {
      release(msg);
    }
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
    if (evt instanceof Http2ResetFrame reset) {
      // What the peer sent before its reset still reaches our side (a waypoint Envoy ends each
      // answered tunnel with DATA then RST_STREAM CONNECT_ERROR). The relay ends on the next turn
      // of the loop: the codec closes the stream only after this event, and closing the stream
      // channel now would answer the peer's RST_STREAM with one of ours, which Envoy punishes
      // with GOAWAY INTERNAL_ERROR for the whole connection.
      peer.flush();
      String reason = name() + " reset by peer, error code " + reset.errorCode();
      ctx.channel().eventLoop().execute(() -> session.fail(reason));
    }
    release(evt);
  }
}
