package dev.ambient.ztunnel.metrics;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.lang.management.OperatingSystemMXBean;
import java.lang.management.ThreadMXBean;

/** Standard process and JVM gauges, read at scrape time (cheap MXBean calls). */
public final class ProcessMetrics implements Collector {
  private static final String[] NONE = {};
  private static final String[] AREA = {"area"};

  @Override
  public void writeTo(StringBuilder out) {
    OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
    if (os instanceof com.sun.management.OperatingSystemMXBean sun) {
      long cpu = sun.getProcessCpuTime();
      if (cpu >= 0) {
        Exposition.header(
            out,
            "process_cpu_seconds_total",
            "Total user and system CPU time spent in seconds.",
            "counter");
        Exposition.sample(out, "process_cpu_seconds_total", NONE, NONE, Double.toString(cpu / 1e9));
      }
    }
    if (os instanceof com.sun.management.UnixOperatingSystemMXBean unix) {
      gauge(
          out,
          "process_open_fds",
          "Number of open file descriptors.",
          unix.getOpenFileDescriptorCount());
      gauge(
          out,
          "process_max_fds",
          "Maximum number of open file descriptors.",
          unix.getMaxFileDescriptorCount());
    }
    long start = ManagementFactory.getRuntimeMXBean().getStartTime();
    Exposition.header(
        out,
        "process_start_time_seconds",
        "Start time of the process since unix epoch in seconds.",
        "gauge");
    Exposition.sample(
        out, "process_start_time_seconds", NONE, NONE, Double.toString(start / 1000.0));
    MemoryMXBean mem = ManagementFactory.getMemoryMXBean();
    Exposition.header(
        out, "jvm_memory_used_bytes", "Used bytes of a given JVM memory area.", "gauge");
    Exposition.sample(
        out,
        "jvm_memory_used_bytes",
        AREA,
        new String[] {"heap"},
        Long.toString(mem.getHeapMemoryUsage().getUsed()));
    Exposition.sample(
        out,
        "jvm_memory_used_bytes",
        AREA,
        new String[] {"nonheap"},
        Long.toString(mem.getNonHeapMemoryUsage().getUsed()));
    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    gauge(out, "jvm_threads_current", "Current thread count of the JVM.", threads.getThreadCount());
  }

  private static void gauge(StringBuilder out, String name, String help, long value) {
    Exposition.header(out, name, help, "gauge");
    Exposition.sample(out, name, NONE, NONE, Long.toString(value));
  }
}
