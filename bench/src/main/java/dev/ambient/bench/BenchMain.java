package dev.ambient.bench;

import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;

/**
 * Runs the JMH benchmarks and prints each figure as a ratio to the direct connection measured in
 * the same run, e.g. {@code hbone_copy_vs_direct=0.41}. Pass a JMH include regex to narrow.
 */
public final class BenchMain {
  private BenchMain() {}

  public static void main(String[] args) throws Exception {
    String include = args.length > 0 ? args[0] : "dev\\.ambient\\.bench\\..*";
    Options options = new OptionsBuilder().include(include).build();
    Collection<RunResult> results = new Runner(options).run();
    Map<String, Double> scores = new HashMap<>();
    for (RunResult r : results) {
      String label = r.getParams().getBenchmark();
      scores.put(
          label.substring(label.lastIndexOf('.', label.lastIndexOf('.') - 1) + 1),
          r.getPrimaryResult().getScore());
    }
    System.out.println();
    ratio(scores, "HboneCopyBenchmark", "hbone_copy_vs_direct");
    ratio(scores, "ConnectBenchmark", "hbone_connect_vs_direct");
  }

  private static void ratio(Map<String, Double> scores, String benchmark, String name) {
    Double hbone = scores.get(benchmark + ".hbone");
    Double direct = scores.get(benchmark + ".direct");
    if (hbone != null && direct != null && direct > 0) {
      System.out.printf(
          "%s=%.2f  (hbone %.1f ops/s, direct %.1f ops/s)%n", name, hbone / direct, hbone, direct);
    }
  }
}
