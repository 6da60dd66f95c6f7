package dev.ambient.bench;

import dev.ambient.ztunnel.testing.ZtunnelPair;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The HBONE copy path against a direct connection, same run, same echo server: an application
 * socket through ztunnel A's SOCKS5, HBONE (HTTP/2 CONNECT over mTLS) to ztunnel B, plain TCP to an
 * echo server; versus the same echo server reached directly. Each operation sends {@code chunk}
 * bytes and reads the echo back, so the score is round trips per second; bytes per second is score
 * x chunk x 2.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(
    value = 1,
    jvmArgsAppend = {"-Xmx1g", "-Dlogback.configurationFile=bench-logback.xml"})
public class HboneCopyBenchmark {

  @Param({"1048576"})
  int chunk;

  private ZtunnelPair pair;
  private Socket direct;
  private Socket tunneled;
  private byte[] payload;
  private byte[] sink;
  private ExecutorService writer;

  @Setup(Level.Trial)
  public void setUp() throws IOException {
    pair = new ZtunnelPair();
    tunneled = pair.connect(pair.echoAddress());
    direct = new Socket();
    direct.connect(pair.echoAddress());
    for (Socket s : new Socket[] {tunneled, direct}) {
      s.setTcpNoDelay(true);
    }
    payload = new byte[chunk];
    ThreadLocalRandom.current().nextBytes(payload);
    sink = new byte[chunk];
    writer = Executors.newSingleThreadExecutor();
  }

  @TearDown(Level.Trial)
  public void tearDown() throws IOException {
    writer.shutdownNow();
    tunneled.close();
    direct.close();
    pair.close();
  }

  @Benchmark
  public int direct() throws Exception {
    return roundTrip(direct);
  }

  @Benchmark
  public int hbone() throws Exception {
    return roundTrip(tunneled);
  }

  /** Writes on another thread while reading here, so neither side's buffers can deadlock. */
  private int roundTrip(Socket s) throws Exception {
    OutputStream out = s.getOutputStream();
    Future<?> sent =
        writer.submit(
            () -> {
              out.write(payload);
              out.flush();
              return null;
            });
    new DataInputStream(s.getInputStream()).readFully(sink);
    sent.get();
    return sink[chunk - 1];
  }
}
