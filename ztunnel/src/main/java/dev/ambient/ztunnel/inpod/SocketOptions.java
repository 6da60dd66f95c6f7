package dev.ambient.ztunnel.inpod;

import com.sun.jna.LastErrorException;
import com.sun.jna.ptr.IntByReference;
import io.netty.channel.Channel;
import io.netty.channel.unix.UnixChannel;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.Arrays;

/** Socket options that Netty does not expose on io_uring channels. */
public final class SocketOptions {
  /** The mark on ztunnel's own sockets inside a pod: the pod's rules let it pass (Istio's 1337). */
  public static final int ZTUNNEL_MARK = 0x539;

  private static final short AF_INET = 2;
  private static final short AF_INET6 = 10;

  private SocketOptions() {}

  /** The fd of a native channel; NIO channels have none, and in-pod mode cannot use them. */
  public static int fd(Channel channel) throws IOException {
    if (channel instanceof UnixChannel) {
      return ((UnixChannel) channel).fd().intValue();
    }
    throw new IOException(
        "in-pod mode needs a native transport with file descriptors (io_uring), not "
            + channel.getClass().getSimpleName());
  }

  /**
   * The destination a connection had before the pod's REDIRECT rule sent it to us. Tries IPv4
   * ({@code SO_ORIGINAL_DST}) and then IPv6 ({@code IP6T_SO_ORIGINAL_DST}).
   */
  public static InetSocketAddress originalDestination(int fd) throws IOException {
    byte[] buf = new byte[28]; // sockaddr_in6 is the larger of the two
    IntByReference len = new IntByReference(buf.length);
    try {
      LibC.INSTANCE.getsockopt(fd, LibC.SOL_IP, LibC.SO_ORIGINAL_DST, buf, len);
    } catch (LastErrorException v4) {
      try {
        len.setValue(buf.length);
        LibC.INSTANCE.getsockopt(fd, LibC.SOL_IPV6, LibC.IP6T_SO_ORIGINAL_DST, buf, len);
      } catch (LastErrorException v6) {
        throw NativeErrors.of("getsockopt(fd " + fd + ", SOL_IP, SO_ORIGINAL_DST)", v4);
      }
    }
    return parseSockaddr(buf, len.getValue());
  }

  /** Sets SO_MARK (needs CAP_NET_ADMIN). */
  public static void setMark(int fd, int mark) throws IOException {
    try {
      LibC.INSTANCE.setsockopt(
          fd, LibC.SOL_SOCKET, LibC.SO_MARK, new IntByReference(mark), Integer.BYTES);
    } catch (LastErrorException e) {
      throw NativeErrors.of("setsockopt(fd " + fd + ", SOL_SOCKET, SO_MARK, " + mark + ")", e);
    }
  }

  /** Reads SO_MARK back (for tests and diagnostics). */
  public static int mark(int fd) throws IOException {
    byte[] buf = new byte[4];
    IntByReference len = new IntByReference(4);
    try {
      LibC.INSTANCE.getsockopt(fd, LibC.SOL_SOCKET, LibC.SO_MARK, buf, len);
    } catch (LastErrorException e) {
      throw NativeErrors.of("getsockopt(fd " + fd + ", SOL_SOCKET, SO_MARK)", e);
    }
    // Native byte order: x86-64 and arm64 Linux are little-endian.
    return (buf[0] & 0xff) | (buf[1] & 0xff) << 8 | (buf[2] & 0xff) << 16 | (buf[3] & 0xff) << 24;
  }

  /** sockaddr_in / sockaddr_in6: family in host order, port and address in network order. */
  static InetSocketAddress parseSockaddr(byte[] buf, int length) throws IOException {
    if (length < 2) {
      throw new IOException("original destination: sockaddr of " + length + " bytes");
    }
    short family = (short) ((buf[0] & 0xff) | (buf[1] & 0xff) << 8);
    int port = (buf[2] & 0xff) << 8 | (buf[3] & 0xff);
    try {
      if (family == AF_INET && length >= 8) {
        return new InetSocketAddress(InetAddress.getByAddress(Arrays.copyOfRange(buf, 4, 8)), port);
      }
      if (family == AF_INET6 && length >= 24) {
        return new InetSocketAddress(
            InetAddress.getByAddress(Arrays.copyOfRange(buf, 8, 24)), port);
      }
    } catch (UnknownHostException e) {
      throw new IOException("original destination: bad address", e);
    }
    throw new IOException(
        "original destination: unexpected address family " + family + " (" + length + " bytes)");
  }
}
