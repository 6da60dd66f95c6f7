package dev.ambient.ztunnel.app;

import dev.ambient.api.config.CliValues;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code mesh ztunnel}: runs one node proxy until SIGTERM, then drains. */
@Command(
    name = "ztunnel",
    mixinStandardHelpOptions = true,
    description = "Run a ztunnel node proxy (HBONE, SOCKS5, L4 policy, metrics).")
public final class ZtunnelCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  @Option(
      names = "--config",
      description =
          "Mesh YAML file (reloaded on change). Either this or --xds-address (the file stays for"
              + " tests and the demo).")
  Path config;

  @Option(
      names = "--xds-address",
      description =
          "Workload discovery server host:port (the controller, e.g. 127.0.0.1:15012): delta ADS"
              + " for workloads, services and policies instead of --config. TLS with --ca-root and"
              + " --ca-token-file, as for the CA.")
  String xdsAddress;

  @Option(
      names = "--xds-plaintext",
      description = "Talk to --xds-address without TLS (the controller's --plaintext 15010; dev).")
  boolean xdsPlaintext;

  @Option(names = "--node", required = true, description = "This node's name.")
  String node;

  @Option(
      names = "--trust-domain",
      defaultValue = "cluster.local",
      description = "Default: ${DEFAULT-VALUE}.")
  String trustDomain;

  @Option(
      names = "--ca-address",
      defaultValue = "127.0.0.1:15012",
      description = "CA host:port. Default: ${DEFAULT-VALUE}.")
  String caAddress;

  @Option(
      names = "--ca-root",
      required = true,
      description = "PEM file with the CA's root(s) (the CA's trust-bundle.pem).")
  Path caRoot;

  @Option(
      names = "--ca-token-file",
      required = true,
      description = "This node's bootstrap credential for the CA.")
  Path caTokenFile;

  @Option(
      names = "--cert-ttl",
      defaultValue = "24h",
      description =
          "Requested certificate lifetime (the CA may cap it). Default: ${DEFAULT-VALUE}.")
  String certTtl;

  @Option(
      names = "--node-ip",
      defaultValue = "127.0.0.1",
      description =
          "Address for the node-level listeners (SOCKS5, admin, metrics, readiness) unless set one by one. Default: ${DEFAULT-VALUE}.")
  String nodeIp;

  @Option(names = "--socks5", description = "SOCKS5 listener ip:port (default <node-ip>:15080).")
  String socks;

  @Option(
      names = "--admin",
      description = "Admin listener, loopback only (default <node-ip>:15000).")
  String admin;

  @Option(names = "--metrics", description = "Prometheus listener (default <node-ip>:15020).")
  String metrics;

  @Option(names = "--readiness", description = "Readiness listener (default <node-ip>:15021).")
  String readiness;

  @Option(
      names = "--hbone-port",
      defaultValue = "15008",
      description = "HBONE port on workload addresses. Default: ${DEFAULT-VALUE}.")
  int hbonePort;

  @Option(
      names = "--worker-threads",
      defaultValue = "2",
      description = "Event-loop threads. Default: ${DEFAULT-VALUE}.")
  int workerThreads;

  @Option(
      names = "--inpod-socket",
      description =
          "Unix socket on which the CNI step hands pods over; enables in-pod mode (listeners"
              + " 15001/15006/15008 inside each pod's netns; needs root and io_uring).")
  Path inpodSocket;

  @Option(
      names = "--pod-drain-timeout",
      defaultValue = "5s",
      description =
          "In-pod mode: how long a removed pod's connections may finish. Default: ${DEFAULT-VALUE}.")
  String podDrainTimeout;

  @Option(
      names = "--drain-timeout",
      defaultValue = "10s",
      description = "How long SIGTERM lets connections finish. Default: ${DEFAULT-VALUE}.")
  String drainTimeout;

  @Override
  public Integer call() throws Exception {
    if ((config == null) == (xdsAddress == null)) {
      throw new ParameterException(
          spec.commandLine(), "give exactly one of --config and --xds-address");
    }
    if (xdsPlaintext && xdsAddress == null) {
      throw new ParameterException(spec.commandLine(), "--xds-plaintext needs --xds-address");
    }
    ZtunnelApp.Settings settings =
        new ZtunnelApp.Settings(
            config,
            node,
            trustDomain,
            serverAddress("--ca-address", caAddress),
            caRoot,
            caTokenFile,
            duration("--cert-ttl", certTtl),
            address("--socks5", socks, 15080),
            address("--admin", admin, 15000),
            address("--metrics", metrics, 15020),
            address("--readiness", readiness, 15021),
            hbonePort,
            workerThreads,
            inpodSocket,
            duration("--pod-drain-timeout", podDrainTimeout),
            xdsAddress == null ? null : serverAddress("--xds-address", xdsAddress),
            xdsPlaintext);
    Duration drain = duration("--drain-timeout", drainTimeout);
    ZtunnelApp app;
    try {
      app = ZtunnelApp.start(settings);
    } catch (Exception e) {
      spec.commandLine()
          .getErr()
          .println("ztunnel " + node + ": cannot start: " + ZtunnelApp.rootMessage(e));
      return 1;
    }
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  app.drain(drain);
                  app.close();
                  stopped.countDown();
                },
                "ztunnel-shutdown"));
    stopped.await();
    return 0;
  }

  /** An explicit ip:port, or --node-ip with the default port. */
  private InetSocketAddress address(String option, String value, Integer defaultPort) {
    try {
      return CliValues.hostPort(option, value != null ? value : nodeIp + ":" + defaultPort);
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), e.getMessage());
    }
  }

  /**
   * A server to dial: {@code ip:port}, or {@code name:port} (a Service name in a cluster), which
   * stays unresolved here: gRPC resolves it when it connects, and again after a failure.
   */
  private InetSocketAddress serverAddress(String option, String value) {
    int colon = value.lastIndexOf(':');
    String host = colon > 0 ? value.substring(0, colon) : "";
    if (host.matches("[a-zA-Z0-9]([-a-zA-Z0-9.]*[a-zA-Z0-9])?")
        && host.matches(".*[a-zA-Z].*")
        && !host.equals("localhost")) {
      try {
        int port = Integer.parseInt(value.substring(colon + 1));
        if (port > 0 && port <= 65535) {
          return InetSocketAddress.createUnresolved(host, port);
        }
      } catch (NumberFormatException e) {
        // Reported below with the ip:port wording.
      }
      throw new ParameterException(
          spec.commandLine(), option + ": port of \"" + value + "\" is not in 1..65535");
    }
    return address(option, value, null);
  }

  private Duration duration(String option, String text) {
    try {
      return CliValues.duration(option, text);
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), e.getMessage());
    }
  }
}
