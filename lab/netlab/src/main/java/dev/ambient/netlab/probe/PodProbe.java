package dev.ambient.netlab.probe;

import dev.ambient.netlab.NetLab;
import dev.ambient.netlab.Pod;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/**
 * Traffic helpers for root tests and demos: a {@link TcpEchoMain} server started inside a pod, and
 * a TCP client run inside a pod with bash's {@code /dev/tcp} (bash is everywhere; ping and nc are
 * not).
 */
public final class PodProbe {
  private PodProbe() {}

  /** Starts a {@link TcpEchoMain} in the pod (killed by the lab on close) once it listens. */
  public static Process startEcho(NetLab lab, Pod pod, int port, String tag) throws IOException {
    Process p =
        lab.start(
            pod,
            NetLab.javaArgv(TcpEchoMain.class, String.valueOf(port), tag).toArray(String[]::new));
    BufferedReader out =
        new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
    String line = out.readLine();
    if (!"ready".equals(line)) {
      p.destroyForcibly();
      throw new IOException("echo server in " + pod.netns() + " did not start: " + line);
    }
    return p;
  }

  /**
   * From inside {@code pod}, connects to {@code host:port}, sends {@code message} and returns the
   * answer line (empty if none within 5 s); throws if the connection fails.
   */
  public static String exchange(Pod pod, String host, int port, String message)
      throws IOException, InterruptedException {
    String script =
        "exec 3<>/dev/tcp/"
            + host
            + "/"
            + port
            + " || exit 7; echo '"
            + message
            + "' >&3; read -t 5 -r line <&3; echo \"$line\"";
    Process p =
        pod.command("timeout", "10", "bash", "-c", script).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
    if (!p.waitFor(15, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new IOException("client in " + pod.netns() + " hung");
    }
    if (p.exitValue() != 0) {
      throw new IOException(
          "client in "
              + pod.netns()
              + " to "
              + host
              + ":"
              + port
              + " failed (exit "
              + p.exitValue()
              + "): "
              + out);
    }
    return out;
  }
}
