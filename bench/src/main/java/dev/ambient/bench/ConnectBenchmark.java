package dev.ambient.bench;

import dev.ambient.ztunnel.testing.ZtunnelPair;
import java.io.IOException;
import java.net.Socket;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Connection setup: a new client connection that sends one byte and reads its echo, through the
 * ztunnel pair (a new HBONE stream on a pooled mTLS connection) versus direct.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(
    value = 1,
    jvmArgsAppend = {"-Xmx1g", "-Dlogback.configurationFile=bench-logback.xml"})
public class ConnectBenchmark {
  private ZtunnelPair pair;

  @Setup(Level.Trial)
  public void setUp() throws IOException {
    pair = new ZtunnelPair();
  }

  @TearDown(Level.Trial)
  public void tearDown() throws IOException {
    pair.close();
  }

  @Benchmark
  public int direct() throws IOException {
    try (Socket s = new Socket()) {
      s.connect(pair.echoAddress());
      return pingPong(s);
    }
  }

  @Benchmark
  public int hbone() throws IOException {
    try (Socket s = pair.connect(pair.echoAddress())) {
      return pingPong(s);
    }
  }

  private static int pingPong(Socket s) throws IOException {
    s.setTcpNoDelay(true);
    s.getOutputStream().write(42);
    int b = s.getInputStream().read();
    if (b != 42) {
      throw new IOException("echo returned " + b);
    }
    return b;
  }
}
