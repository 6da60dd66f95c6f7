package dev.ambient.ztunnel.outbound;

import dev.ambient.api.model.MeshState;
import dev.ambient.api.model.Service;
import dev.ambient.api.model.Workload;
import dev.ambient.ztunnel.state.StateHolder;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * RFC 1928 SOCKS5, no authentication, CONNECT only. Parsing is bounded (a greeting or request never
 * exceeds 262 bytes) and timed; every refusal gets the reply code the protocol allows, a log line,
 * and a close. Success is only answered once the upstream is established.
 */
final class Socks5Handler extends ChannelInboundHandlerAdapter {
  private static final Logger LOG = LoggerFactory.getLogger(Socks5Handler.class);

  static final byte VERSION = 5;
  static final byte NO_AUTH = 0;
  static final byte NO_ACCEPTABLE_METHOD = (byte) 0xFF;
  static final byte CMD_CONNECT = 1;
  static final byte ATYP_IPV4 = 1;
  static final byte ATYP_DOMAIN = 3;
  static final byte ATYP_IPV6 = 4;
  static final byte REP_SUCCEEDED = 0;
  static final byte REP_GENERAL_FAILURE = 1;
  static final byte REP_NOT_ALLOWED = 2;
  static final byte REP_HOST_UNREACHABLE = 4;
  static final byte REP_CONNECTION_REFUSED = 5;
  static final byte REP_COMMAND_NOT_SUPPORTED = 7;
  static final byte REP_ADDRESS_TYPE_NOT_SUPPORTED = 8;

  /** Largest legal request: 4 header bytes, 1 length byte, 255 name bytes, 2 port bytes. */
  private static final int MAX_HANDSHAKE_BYTES = 262;

  /** Early tunnel bytes sent before our reply are kept, up to this much. */
  private static final int MAX_EARLY_DATA = 64 * 1024;

  private enum Phase {
    GREETING,
    REQUEST,
    CONNECTING,
    DONE
  }

  private final StateHolder state;
  private final String nodeName;
  private final OutboundProxy proxy;
  private final Duration handshakeTimeout;
  private Phase phase = Phase.GREETING;
  private ByteBuf buffer;
  private ScheduledFuture<?> timeout;

  Socks5Handler(StateHolder state, String nodeName, OutboundProxy proxy, Duration timeout) {
    this.state = state;
    this.nodeName = nodeName;
    this.proxy = proxy;
    this.handshakeTimeout = timeout;
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    buffer = ctx.alloc().buffer(64, MAX_EARLY_DATA + MAX_HANDSHAKE_BYTES);
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) {
    timeout =
        ctx.executor()
            .schedule(
                () -> {
                  if (phase == Phase.GREETING || phase == Phase.REQUEST) {
                    refuse(ctx, (byte) -1, "handshake not completed within " + handshakeTimeout);
                  }
                },
                handshakeTimeout.toNanos(),
                TimeUnit.NANOSECONDS);
    ctx.fireChannelActive();
  }

  @Override
  public void handlerRemoved(ChannelHandlerContext ctx) {
    if (timeout != null) {
      timeout.cancel(false);
    }
    if (buffer != null) {
      buffer.release();
      buffer = null;
    }
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (!(msg instanceof ByteBuf in)) {
      ReferenceCountUtil.release(msg);
      return;
    }
    try {
      if (phase == Phase.DONE) {
        return;
      }
      if (buffer.readableBytes() + in.readableBytes() > MAX_EARLY_DATA + MAX_HANDSHAKE_BYTES) {
        refuse(ctx, phase == Phase.REQUEST ? REP_GENERAL_FAILURE : (byte) -1, "oversized input");
        return;
      }
      buffer.writeBytes(in);
    } finally {
      in.release();
    }
    if (phase == Phase.GREETING) {
      greeting(ctx);
    }
    if (phase == Phase.REQUEST) {
      request(ctx);
    }
    // A complete greeting or request would have been consumed by now; more is garbage.
    if ((phase == Phase.GREETING || phase == Phase.REQUEST)
        && buffer.readableBytes() > MAX_HANDSHAKE_BYTES) {
      refuse(
          ctx,
          phase == Phase.REQUEST ? REP_GENERAL_FAILURE : (byte) -1,
          "oversized " + phase + " (more than " + MAX_HANDSHAKE_BYTES + " bytes)");
    }
  }

  private void greeting(ChannelHandlerContext ctx) {
    if (buffer.readableBytes() < 2) {
      return;
    }
    int ri = buffer.readerIndex();
    byte version = buffer.getByte(ri);
    if (version != VERSION) {
      refuse(ctx, (byte) -1, "unsupported SOCKS version " + (version & 0xFF));
      return;
    }
    int methods = buffer.getUnsignedByte(ri + 1);
    if (methods == 0) {
      reply(ctx, new byte[] {VERSION, NO_ACCEPTABLE_METHOD}, "greeting offers no methods");
      return;
    }
    if (buffer.readableBytes() < 2 + methods) {
      return;
    }
    boolean noAuth = false;
    for (int i = 0; i < methods; i++) {
      noAuth |= buffer.getByte(ri + 2 + i) == NO_AUTH;
    }
    buffer.skipBytes(2 + methods);
    if (!noAuth) {
      reply(ctx, new byte[] {VERSION, NO_ACCEPTABLE_METHOD}, "client does not offer no-auth");
      return;
    }
    ctx.writeAndFlush(Unpooled.wrappedBuffer(new byte[] {VERSION, NO_AUTH}));
    phase = Phase.REQUEST;
  }

  private void request(ChannelHandlerContext ctx) {
    if (buffer.readableBytes() < 4) {
      return;
    }
    int ri = buffer.readerIndex();
    if (buffer.getByte(ri) != VERSION) {
      refuse(ctx, REP_GENERAL_FAILURE, "request version " + buffer.getUnsignedByte(ri));
      return;
    }
    byte cmd = buffer.getByte(ri + 1);
    if (cmd != CMD_CONNECT) {
      refuse(ctx, REP_COMMAND_NOT_SUPPORTED, "unsupported command " + (cmd & 0xFF));
      return;
    }
    if (buffer.getByte(ri + 2) != 0) {
      refuse(ctx, REP_GENERAL_FAILURE, "reserved byte is not zero");
      return;
    }
    byte atyp = buffer.getByte(ri + 3);
    int addrLen;
    int addrOffset = 4;
    if (atyp == ATYP_IPV4) {
      addrLen = 4;
    } else if (atyp == ATYP_IPV6) {
      addrLen = 16;
    } else if (atyp == ATYP_DOMAIN) {
      if (buffer.readableBytes() < 5) {
        return;
      }
      addrLen = buffer.getUnsignedByte(ri + 4);
      addrOffset = 5;
      if (addrLen == 0) {
        refuse(ctx, REP_GENERAL_FAILURE, "empty domain name");
        return;
      }
    } else {
      refuse(ctx, REP_ADDRESS_TYPE_NOT_SUPPORTED, "unsupported address type " + (atyp & 0xFF));
      return;
    }
    int total = addrOffset + addrLen + 2;
    if (buffer.readableBytes() < total) {
      return;
    }
    byte[] addr = new byte[addrLen];
    buffer.getBytes(ri + addrOffset, addr);
    int port = buffer.getUnsignedShort(ri + addrOffset + addrLen);
    buffer.skipBytes(total);
    if (port == 0) {
      refuse(ctx, REP_GENERAL_FAILURE, "destination port 0");
      return;
    }
    MeshState snapshot = state.current();
    InetAddress ip;
    if (atyp == ATYP_DOMAIN) {
      String name = new String(addr, StandardCharsets.US_ASCII);
      ip = resolveService(snapshot, name);
      if (ip == null) {
        refuse(ctx, REP_HOST_UNREACHABLE, "domain " + printable(name) + " is not a mesh service");
        return;
      }
    } else {
      try {
        ip = InetAddress.getByAddress(addr);
      } catch (UnknownHostException e) {
        refuse(ctx, REP_ADDRESS_TYPE_NOT_SUPPORTED, "bad address");
        return;
      }
    }
    InetSocketAddress client = (InetSocketAddress) ctx.channel().remoteAddress();
    Workload source = snapshot.workloadByAddress(client.getAddress());
    if (source == null || !source.node().equals(nodeName)) {
      refuse(
          ctx,
          REP_NOT_ALLOWED,
          "client "
              + client.getAddress().getHostAddress()
              + " is not a workload on node "
              + nodeName);
      return;
    }
    phase = Phase.CONNECTING;
    timeout.cancel(false);
    ctx.channel().config().setAutoRead(false);
    connect(ctx, source, new InetSocketAddress(ip, port));
  }

  private void connect(ChannelHandlerContext ctx, Workload source, InetSocketAddress dst) {
    Channel ch = ctx.channel();
    proxy
        .connect(source, dst, ch)
        .whenComplete(
            (conn, t) ->
                ch.eventLoop()
                    .execute(
                        () -> {
                          if (t != null) {
                            Throwable c = t.getCause() != null ? t.getCause() : t;
                            byte rep =
                                c instanceof OutboundException oe && oe.refused()
                                    ? REP_CONNECTION_REFUSED
                                    : REP_GENERAL_FAILURE;
                            refuse(ctx, rep, c.getMessage());
                            return;
                          }
                          if (!ch.isActive()) {
                            conn.abort("SOCKS client went away before the upstream was ready");
                            return;
                          }
                          phase = Phase.DONE;
                          ch.writeAndFlush(Unpooled.wrappedBuffer(successReply()));
                          ByteBuf early = buffer;
                          buffer = null;
                          ctx.pipeline().remove(this);
                          conn.relay();
                          if (early.isReadable()) {
                            ch.pipeline().fireChannelRead(early);
                            ch.pipeline().fireChannelReadComplete();
                          } else {
                            early.release();
                          }
                        }));
  }

  private static InetAddress resolveService(MeshState state, String name) {
    if (name.length() > 253) {
      return null;
    }
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      boolean ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-';
      if (!ok) {
        return null;
      }
    }
    for (Service s : state.services()) {
      if (s.hostname().equals(name) && !s.vips().isEmpty()) {
        return s.vips().get(0);
      }
    }
    return null;
  }

  private static byte[] successReply() {
    return new byte[] {VERSION, REP_SUCCEEDED, 0, ATYP_IPV4, 0, 0, 0, 0, 0, 0};
  }

  private static byte[] failureReply(byte rep) {
    return new byte[] {VERSION, rep, 0, ATYP_IPV4, 0, 0, 0, 0, 0, 0};
  }

  /** Answers with a failure code ({@code -1}: no reply possible) and closes. */
  private void refuse(ChannelHandlerContext ctx, byte rep, String why) {
    if (rep == -1) {
      close(ctx, why);
    } else {
      reply(ctx, failureReply(rep), why + " (reply " + rep + ")");
    }
  }

  private void reply(ChannelHandlerContext ctx, byte[] bytes, String why) {
    phase = Phase.DONE;
    LOG.warn("SOCKS5 from {} refused: {}", ctx.channel().remoteAddress(), why);
    ctx.writeAndFlush(Unpooled.wrappedBuffer(bytes)).addListener(f -> ctx.close());
  }

  private void close(ChannelHandlerContext ctx, String why) {
    phase = Phase.DONE;
    LOG.warn("SOCKS5 from {} closed: {}", ctx.channel().remoteAddress(), why);
    ctx.close();
  }

  private static String printable(String s) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < s.length() && i < 80; i++) {
      char c = s.charAt(i);
      b.append(c < 0x20 || c > 0x7e ? '?' : c);
    }
    return '"' + b.toString() + '"';
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    close(ctx, cause.toString());
  }
}
