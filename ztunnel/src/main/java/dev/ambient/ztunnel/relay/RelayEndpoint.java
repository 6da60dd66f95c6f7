package dev.ambient.ztunnel.relay;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One side of a relay, installed last in its channel's pipeline. Reads from its channel go to the
 * peer side; reads are only requested while the peer can take more.
 */
abstract class RelayEndpoint extends ChannelInboundHandlerAdapter {
  final RelaySession session;
  final Channel channel;
  final boolean isDownstream;
  RelayEndpoint peer;

  /** A read is wanted but held back until the peer becomes writable. */
  private final AtomicBoolean readPending = new AtomicBoolean();

  private volatile boolean inputEnded;

  /** Our output was shut down (FIN / END_STREAM sent) after all data was written. */
  volatile boolean outputDone;

  /** The shutdown of our output was requested (by the peer's input ending). */
  volatile boolean outputShutdownRequested;

  RelayEndpoint(RelaySession session, Channel channel, boolean isDownstream) {
    this.session = session;
    this.channel = channel;
    this.isDownstream = isDownstream;
  }

  void install() {
    channel.config().setAutoRead(false);
    channel.pipeline().addLast(this);
    if (!channel.isActive()) {
      session.fail(name() + " closed before the relay started");
      return;
    }
    requestRead();
  }

  abstract String name();

  /** Hands data to this side's channel (ownership passes); called from the peer's thread. */
  abstract void write(ByteBuf data);

  /** Ends this side's output after everything written so far. */
  abstract ChannelFuture shutdownOutput();

  final void flush() {
    channel.flush();
  }

  /** Delivers bytes read on this side to the peer. Takes ownership of {@code data}. */
  final void forward(ByteBuf data) {
    int n = data.readableBytes();
    if (n == 0) {
      data.release();
      return;
    }
    session.countRead(this, n);
    peer.write(data);
  }

  /** Our input ended cleanly (FIN or END_STREAM): pass it on as the peer's output shutdown. */
  final void inputEnded() {
    if (inputEnded) {
      return;
    }
    inputEnded = true;
    peer.outputShutdownRequested = true;
    peer.shutdownOutput()
        .addListener(
            f -> {
              if (f.isSuccess()) {
                peer.outputDone = true;
                session.directionFinished();
              } else {
                session.fail("could not end " + peer.name() + ": " + f.cause());
              }
            });
  }

  /** Asks for more input if the peer can take it, else remembers to ask when it can. */
  final void requestRead() {
    if (inputEnded) {
      return;
    }
    readPending.set(true);
    if (peer.channel.isWritable()) {
      resumeRead();
    }
  }

  /** The peer became writable (called from the peer's thread). */
  final void resumeRead() {
    if (readPending.compareAndSet(true, false) && !inputEnded && inputOpen()) {
      channel.read();
    }
  }

  /** False once the transport has seen the end of input (a read would then be an error). */
  boolean inputOpen() {
    return true;
  }

  @Override
  public void channelReadComplete(ChannelHandlerContext ctx) {
    peer.flush();
    requestRead();
  }

  @Override
  public void channelWritabilityChanged(ChannelHandlerContext ctx) {
    if (channel.isWritable()) {
      peer.resumeRead();
    }
    ctx.fireChannelWritabilityChanged();
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    // A stream closes by itself once END_STREAM went both ways; that is the clean end.
    if (!(inputEnded && outputShutdownRequested)) {
      session.fail(name() + " closed");
    }
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    session.fail(name() + " failed: " + cause);
  }

  static void release(Object msg) {
    ReferenceCountUtil.release(msg);
  }
}
