package dev.ambient.ztunnel.relay;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.DuplexChannel;

/** A plain TCP side of a relay; FIN maps to the peer's end of stream and back. */
final class TcpEndpoint extends RelayEndpoint {

  TcpEndpoint(RelaySession session, Channel channel, boolean isDownstream) {
    super(session, channel, isDownstream);
  }

  @Override
  String name() {
    return (isDownstream ? "downstream" : "upstream") + " TCP " + channel.remoteAddress();
  }

  @Override
  boolean inputOpen() {
    return !((DuplexChannel) channel).isInputShutdown();
  }

  @Override
  void write(ByteBuf data) {
    channel.write(data, channel.voidPromise());
  }

  /**
   * Sends FIN only after every byte queued before it reached the socket. Netty's shutdownOutput
   * fails whatever is still in the outbound buffer, and under backpressure that buffer holds the
   * tail of the stream, so the FIN waits for an empty write that completes after all earlier ones.
   */
  @Override
  ChannelFuture shutdownOutput() {
    ChannelPromise shutdown = channel.newPromise();
    channel
        .writeAndFlush(Unpooled.EMPTY_BUFFER)
        .addListener(
            written -> {
              if (written.isSuccess()) {
                ((DuplexChannel) channel).shutdownOutput(shutdown);
              } else {
                shutdown.setFailure(written.cause());
              }
            });
    return shutdown;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (msg instanceof ByteBuf buf) {
      forward(buf);
    } else {
      release(msg);
    }
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
    if (evt instanceof ChannelInputShutdownEvent) {
      peer.flush();
      inputEnded();
    }
    ctx.fireUserEventTriggered(evt);
  }
}
