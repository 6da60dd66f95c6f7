package dev.ambient.ztunnel.testing;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/** A minimal blocking SOCKS5 client for tests, bound to a chosen source address. */
public final class SocksClient {
  private SocksClient() {}

  /** Connects through SOCKS5; returns the socket after a success reply, else throws. */
  public static Socket connect(InetAddress source, InetSocketAddress socks, InetSocketAddress dst)
      throws IOException {
    Socket s = open(source, socks);
    int rep = request(s, dst);
    if (rep != 0) {
      s.close();
      throw new IOException("SOCKS5 reply " + rep);
    }
    return s;
  }

  /** Opens a TCP connection to the SOCKS port from the source address. */
  public static Socket open(InetAddress source, InetSocketAddress socks) throws IOException {
    Socket s = new Socket();
    s.bind(new InetSocketAddress(source, 0));
    s.connect(socks, 10_000);
    s.setSoTimeout(30_000);
    return s;
  }

  /** Greets and sends CONNECT; returns the reply code (0 = success). */
  public static int request(Socket s, InetSocketAddress dst) throws IOException {
    OutputStream out = s.getOutputStream();
    DataInputStream in = new DataInputStream(s.getInputStream());
    out.write(new byte[] {5, 1, 0});
    out.flush();
    byte[] method = new byte[2];
    in.readFully(method);
    if (method[0] != 5 || method[1] != 0) {
      throw new IOException("SOCKS5 method selection failed");
    }
    byte[] ip = dst.getAddress().getAddress();
    byte[] req = new byte[4 + ip.length + 2];
    req[0] = 5;
    req[1] = 1;
    req[3] = (byte) (ip.length == 4 ? 1 : 4);
    System.arraycopy(ip, 0, req, 4, ip.length);
    req[req.length - 2] = (byte) (dst.getPort() >> 8);
    req[req.length - 1] = (byte) dst.getPort();
    out.write(req);
    out.flush();
    return readReply(in);
  }

  /** Greets and sends CONNECT to a domain name; returns the reply code. */
  public static int requestDomain(Socket s, String host, int port) throws IOException {
    OutputStream out = s.getOutputStream();
    DataInputStream in = new DataInputStream(s.getInputStream());
    out.write(new byte[] {5, 1, 0});
    out.flush();
    byte[] method = new byte[2];
    in.readFully(method);
    byte[] name = host.getBytes(StandardCharsets.US_ASCII);
    byte[] req = new byte[5 + name.length + 2];
    req[0] = 5;
    req[1] = 1;
    req[3] = 3;
    req[4] = (byte) name.length;
    System.arraycopy(name, 0, req, 5, name.length);
    req[req.length - 2] = (byte) (port >> 8);
    req[req.length - 1] = (byte) port;
    out.write(req);
    out.flush();
    return readReply(in);
  }

  private static int readReply(DataInputStream in) throws IOException {
    byte[] head = new byte[4];
    in.readFully(head);
    int skip = head[3] == 1 ? 6 : head[3] == 4 ? 18 : 0;
    in.readFully(new byte[skip]);
    return head[1] & 0xFF;
  }
}
