package dev.ambient.ztunnel.relay;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
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

  @Override
  ChannelFuture shutdownOutput() {
    channel.flush();
    return ((DuplexChannel) channel).shutdownOutput();
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
