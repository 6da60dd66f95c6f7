package dev.ambient.netlab.probe;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/**
 * A tiny TCP server run inside a pod namespace by the tests ({@code ip netns exec <pod> java ...}):
 * binds {@code 0.0.0.0:<port>}, prints {@code ready} once listening, and answers each line a client
 * sends with {@code <tag> <line>}, so a test sees which listener it reached.
 */
public final class TcpEchoMain {
  private TcpEchoMain() {}

  public static void main(String[] args) throws Exception {
    int port = Integer.parseInt(args[0]);
    String tag = args.length > 1 ? args[1] : "echo";
    try (ServerSocket server = new ServerSocket()) {
      server.setReuseAddress(true);
      server.bind(new InetSocketAddress("0.0.0.0", port));
      System.out.println("ready");
      System.out.flush();
      while (true) {
        Socket s = server.accept();
        Thread t = new Thread(() -> serve(s, tag));
        t.setDaemon(true);
        t.start();
      }
    }
  }

  private static void serve(Socket s, String tag) {
    try (s) {
      BufferedReader in =
          new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
      OutputStream out = s.getOutputStream();
      String line;
      while ((line = in.readLine()) != null) {
        out.write((tag + " " + line + "\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
      }
    } catch (Exception e) {
      // The client went away: nothing to do in a test helper.
    }
  }
}
