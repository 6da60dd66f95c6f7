package dev.ambient.controller.waypoint.agent;

import dev.ambient.api.config.CliValues;
import dev.ambient.controller.waypoint.process.EnvoyBinary;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicReference;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code mesh waypoint run}: the program of the waypoint image ({@code
 * ghcr.io/ambient-mesh/waypoint}), one per waypoint pod. The controller renders its arguments into
 * the waypoint Deployment:
 *
 * <pre>
 * mesh waypoint run --gateway &lt;namespace&gt;/&lt;name&gt;
 *     --controller-address ambient-controller.istio-system.svc:15012
 *     --ca-root /var/run/ambient/root/root-cert.pem
 *     --token-file /var/run/secrets/tokens/istio-token
 *     [--envoy-binary PATH] [--work-dir DIR] [--trust-domain cluster.local]
 *     [--readiness-listen 0.0.0.0:15021] [--cert-ttl 24h]
 * </pre>
 *
 * with the environment {@code POD_NAME}, {@code POD_NAMESPACE} and {@code SERVICE_ACCOUNT} (from
 * the downward API). The pod's identity is {@code
 * spiffe://<trust-domain>/ns/<POD_NAMESPACE>/sa/<SERVICE_ACCOUNT>}; the Envoy node id is the
 * Gateway's {@code <namespace>/<name>}. Runs until SIGTERM, then stops Envoy and exits (143).
 */
@Command(
    name = "waypoint",
    mixinStandardHelpOptions = true,
    description = "The waypoint pod's agent: identity, SDS and a supervised Envoy.",
    subcommands = {WaypointCommand.Run.class})
public final class WaypointCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    spec.commandLine().usage(spec.commandLine().getOut());
    return 0;
  }

  @Command(
      name = "run",
      mixinStandardHelpOptions = true,
      description =
          "Obtain the pod's certificate from the controller's CA, serve it to Envoy over SDS on a"
              + " unix socket, and run Envoy configured over ADS by the controller (15012).")
  static final class Run implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(
        names = "--gateway",
        required = true,
        description = "<namespace>/<name> of the waypoint Gateway (the Envoy node id).")
    String gateway;

    @Option(
        names = "--controller-address",
        description = "host:port of the controller's TLS port (CA and ADS), e.g. ${DEFAULT-VALUE}.",
        defaultValue = "ambient-controller.istio-system.svc:15012")
    String controllerAddress;

    @Option(
        names = "--ca-root",
        required = true,
        description = "PEM root(s) the controller's certificate must chain to.")
    Path caRoot;

    @Option(
        names = "--token-file",
        required = true,
        description = "The pod's projected service-account token (audience istio-ca).")
    Path tokenFile;

    @Option(
        names = "--envoy-binary",
        description = "Envoy to run (default: AMBIENT_ENVOY or tools/envoy.sh's install).")
    Path envoyBinary;

    @Option(
        names = "--work-dir",
        description =
            "Private directory (made 0700) for the SDS socket, the bootstrap and Envoy's log"
                + " (default: a fresh temporary directory, removed on exit).")
    Path workDir;

    @Option(
        names = "--trust-domain",
        defaultValue = "cluster.local",
        description = "The mesh's trust domain (default ${DEFAULT-VALUE}).")
    String trustDomain;

    @Option(
        names = "--readiness-listen",
        defaultValue = "0.0.0.0:15021",
        description = "Where /healthz/ready is served (default ${DEFAULT-VALUE}).")
    String readinessListen;

    @Option(
        names = "--cert-ttl",
        defaultValue = "24h",
        description = "Certificate lifetime asked of the CA; renewed at half-life (default 24h).")
    String certTtl;

    @Override
    public Integer call() throws Exception {
      PrintWriter err = spec.commandLine().getErr();
      AgentSettings settings;
      try {
        settings = settings(System.getenv());
      } catch (IllegalArgumentException e) {
        err.println("waypoint run: " + e.getMessage());
        return 2;
      }
      // SIGTERM: stop Envoy (and the rest) before the JVM exits; the exit status is then 143.
      // The hook is in place before anything starts, so no Envoy outlives an early signal.
      AtomicReference<WaypointAgent> running = new AtomicReference<>();
      Runtime.getRuntime()
          .addShutdownHook(
              new Thread(
                  () -> {
                    WaypointAgent a = running.get();
                    if (a != null) {
                      a.close();
                    }
                  },
                  "waypoint-agent-shutdown"));
      WaypointAgent agent;
      try {
        agent = WaypointAgent.start(settings);
      } catch (IOException e) {
        err.println("waypoint run: " + e.getMessage());
        return 1;
      }
      running.set(agent);
      agent.awaitClosed();
      return 1; // only reached when closed by a signal: never a clean exit
    }

    AgentSettings settings(Map<String, String> env) {
      String[] gw = AgentSettings.splitGateway(gateway);
      InetSocketAddress controller =
          AgentSettings.splitHostPort("--controller-address", controllerAddress);
      if (controller.getPort() == 0) {
        throw new IllegalArgumentException("--controller-address: port 0");
      }
      Path envoy = envoyBinary;
      if (envoy == null) {
        envoy =
            EnvoyBinary.find()
                .orElseThrow(
                    () ->
                        new IllegalArgumentException(
                            "--envoy-binary: not given and no Envoy installed (AMBIENT_ENVOY,"
                                + " tools/envoy.sh)"));
      }
      Duration ttl = CliValues.duration("--cert-ttl", certTtl);
      return new AgentSettings(
          gw[0],
          gw[1],
          controller.getHostString(),
          controller.getPort(),
          caRoot,
          tokenFile,
          envoy,
          workDir,
          trustDomain,
          AgentSettings.env(env, "POD_NAMESPACE", true),
          AgentSettings.env(env, "POD_NAME", false),
          AgentSettings.env(env, "SERVICE_ACCOUNT", true),
          CliValues.hostPort("--readiness-listen", readinessListen),
          ttl);
    }
  }
}
