package dev.ambient.controller.demo;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/**
 * An unmodified-application stand-in: an HTTP/1.1 GET sent through a SOCKS5 proxy from a chosen
 * source address (the ztunnel identifies the calling workload by it).
 */
final class Socks5HttpClient {
  private Socks5HttpClient() {}

  /** The outcome of one call: the HTTP status line and body, or why it failed. */
  record Result(boolean ok, String detail) {}

  static Result get(InetSocketAddress socks, InetAddress source, InetSocketAddress target) {
    try (Socket s = new Socket()) {
      s.bind(new InetSocketAddress(source, 0));
      s.connect(socks, 3000);
      s.setSoTimeout(5000);
      OutputStream out = s.getOutputStream();
      DataInputStream in = new DataInputStream(s.getInputStream());
      out.write(new byte[] {5, 1, 0});
      out.flush();
      byte[] method = new byte[2];
      in.readFully(method);
      if (method[0] != 5 || method[1] != 0) {
        return new Result(false, "SOCKS5 method refused");
      }
      byte[] ip = target.getAddress().getAddress();
      ByteArrayOutputStream req = new ByteArrayOutputStream();
      req.write(new byte[] {5, 1, 0, (byte) (ip.length == 4 ? 1 : 4)});
      req.write(ip);
      req.write(target.getPort() >> 8);
      req.write(target.getPort() & 0xff);
      out.write(req.toByteArray());
      out.flush();
      byte[] head = new byte[4];
      in.readFully(head);
      if (head[1] != 0) {
        return new Result(false, "SOCKS5 reply " + replyName(head[1]));
      }
      int addrLen = head[3] == 1 ? 4 : head[3] == 4 ? 16 : in.readUnsignedByte();
      in.readFully(new byte[addrLen + 2]);
      out.write(
          ("GET / HTTP/1.1\r\nHost: "
                  + target.getAddress().getHostAddress()
                  + "\r\nConnection: close\r\n\r\n")
              .getBytes(StandardCharsets.US_ASCII));
      out.flush();
      String response = new String(readAll(in), StandardCharsets.UTF_8);
      if (response.isEmpty()) {
        return new Result(false, "connection closed without a response");
      }
      String status = response.lines().findFirst().orElse("");
      int bodyStart = response.indexOf("\r\n\r\n");
      String body = bodyStart < 0 ? "" : response.substring(bodyStart + 4).trim();
      return new Result(status.contains(" 200 "), status + (body.isEmpty() ? "" : " | " + body));
    } catch (IOException e) {
      return new Result(false, e.getClass().getSimpleName() + ": " + e.getMessage());
    }
  }

  private static byte[] readAll(InputStream in) throws IOException {
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    byte[] chunk = new byte[4096];
    int n;
    try {
      while ((n = in.read(chunk)) > 0) {
        buf.write(chunk, 0, n);
      }
    } catch (java.net.SocketException reset) {
      // A reset after the response still leaves what arrived.
    }
    return buf.toByteArray();
  }

  static String replyName(int code) {
    return switch (code) {
      case 1 -> "0x01 general failure";
      case 2 -> "0x02 connection not allowed by ruleset";
      case 3 -> "0x03 network unreachable";
      case 4 -> "0x04 host unreachable";
      case 5 -> "0x05 connection refused";
      case 6 -> "0x06 TTL expired";
      case 7 -> "0x07 command not supported";
      case 8 -> "0x08 address type not supported";
      default -> String.format("0x%02x", code);
    };
  }
}
