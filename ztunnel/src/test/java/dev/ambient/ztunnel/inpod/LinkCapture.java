package dev.ambient.ztunnel.inpod;

import dev.ambient.netlab.Node;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * tcpdump on a node's link device, raw packets to memory (pcap on stdout: no file, so no permission
 * profile gets in the way). {@link #stop} returns everything captured.
 */
final class LinkCapture implements AutoCloseable {
  private final Process process;
  private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
  private final CompletableFuture<Void> drained = new CompletableFuture<>();

  LinkCapture(Node node, String device) throws IOException {
    // --immediate-mode: without it packets wait in a kernel block for up to a second, and the
    // SIGTERM in stop() would lose them.
    process =
        node.command("tcpdump", "--immediate-mode", "-i", device, "-U", "-n", "-s", "0", "-w", "-")
            .start();
    Thread reader =
        new Thread(
            () -> {
              try (InputStream in = process.getInputStream()) {
                in.transferTo(bytes);
              } catch (IOException e) {
                // process ended
              }
              drained.complete(null);
            },
            "tcpdump-" + device);
    reader.setDaemon(true);
    reader.start();
    // tcpdump says "listening on <dev>" once the capture is armed.
    BufferedReader err =
        new BufferedReader(new InputStreamReader(process.getErrorStream(), StandardCharsets.UTF_8));
    String line = err.readLine();
    if (line == null || !line.contains("listening on")) {
      process.destroyForcibly();
      throw new IOException("tcpdump on " + device + " did not start: " + line);
    }
  }

  /** Stops tcpdump (it flushes on SIGTERM) and returns the pcap bytes. */
  byte[] stop() throws Exception {
    process.destroy();
    if (!process.waitFor(10, TimeUnit.SECONDS)) {
      process.destroyForcibly();
    }
    drained.get(10, TimeUnit.SECONDS);
    synchronized (bytes) {
      return bytes.toByteArray();
    }
  }

  /** A captured IPv4 TCP segment that carried payload. */
  record Segment(int sourcePort, int destinationPort, int payload) {}

  /**
   * The TCP segments with payload in a pcap (little-endian file header, Ethernet link type), so a
   * test can say which ports the bytes between the nodes used.
   */
  static List<Segment> tcpPayloadSegments(byte[] pcap) {
    ByteBuffer b = ByteBuffer.wrap(pcap).order(ByteOrder.LITTLE_ENDIAN);
    List<Segment> out = new ArrayList<>();
    if (pcap.length < 24 || b.getInt(0) != 0xa1b2c3d4) {
      throw new IllegalArgumentException("not a little-endian pcap");
    }
    int pos = 24;
    while (pos + 16 <= pcap.length) {
      int captured = b.getInt(pos + 8);
      int frame = pos + 16;
      pos = frame + captured;
      if (pos > pcap.length || captured < 14 + 20) {
        break;
      }
      ByteBuffer f = ByteBuffer.wrap(pcap, frame, captured).slice().order(ByteOrder.BIG_ENDIAN);
      if (f.getShort(12) != 0x0800) {
        continue; // not IPv4
      }
      int ip = 14;
      int ihl = (f.get(ip) & 0x0f) * 4;
      if ((f.get(ip + 9) & 0xff) != 6) {
        continue; // not TCP
      }
      int total = f.getShort(ip + 2) & 0xffff;
      int tcp = ip + ihl;
      int dataOffset = ((f.get(tcp + 12) & 0xf0) >> 4) * 4;
      int payload = total - ihl - dataOffset;
      if (payload > 0) {
        out.add(new Segment(f.getShort(tcp) & 0xffff, f.getShort(tcp + 2) & 0xffff, payload));
      }
    }
    return out;
  }

  static boolean contains(byte[] haystack, String needle) {
    byte[] n = needle.getBytes(StandardCharsets.US_ASCII);
    outer:
    for (int i = 0; i + n.length <= haystack.length; i++) {
      for (int j = 0; j < n.length; j++) {
        if (haystack[i + j] != n[j]) {
          continue outer;
        }
      }
      return true;
    }
    return false;
  }

  @Override
  public void close() {
    process.destroyForcibly();
  }
}
