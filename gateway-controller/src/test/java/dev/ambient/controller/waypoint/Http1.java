package dev.ambient.controller.waypoint;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/** Minimal HTTP/1.1 over an existing socket (a SOCKS5 tunnel), keep-alive, Content-Length only. */
final class Http1 {
  /** Status, body and headers (names in lower case, first value). */
  record Response(int status, String body, java.util.Map<String, String> headers) {}

  private Http1() {}

  static Response get(Socket s, String host, String path) throws IOException {
    String req = "GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\nUser-Agent: wp-test\r\n\r\n";
    s.getOutputStream().write(req.getBytes(StandardCharsets.US_ASCII));
    s.getOutputStream().flush();
    InputStream in = s.getInputStream();
    String status = line(in);
    if (status == null) {
      throw new IOException("connection closed before a response");
    }
    int code = Integer.parseInt(status.split(" ")[1]);
    int length = 0;
    boolean close = false;
    java.util.Map<String, String> headers = new java.util.TreeMap<>();
    for (String h = line(in); h != null && !h.isEmpty(); h = line(in)) {
      String lower = h.toLowerCase(Locale.ROOT);
      int colon = h.indexOf(':');
      if (colon > 0) {
        headers.putIfAbsent(lower.substring(0, colon), h.substring(colon + 1).trim());
      }
      if (lower.startsWith("content-length:")) {
        length = Integer.parseInt(h.substring(15).trim());
      } else if (lower.startsWith("connection:") && lower.contains("close")) {
        close = true;
      }
    }
    byte[] body = in.readNBytes(length);
    if (close) {
      s.close();
    }
    return new Response(code, new String(body, StandardCharsets.UTF_8), headers);
  }

  private static String line(InputStream in) throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    int c;
    while ((c = in.read()) != -1) {
      if (c == '\n') {
        String s = b.toString(StandardCharsets.US_ASCII);
        return s.endsWith("\r") ? s.substring(0, s.length() - 1) : s;
      }
      b.write(c);
    }
    return b.size() == 0 ? null : b.toString(StandardCharsets.US_ASCII);
  }
}
