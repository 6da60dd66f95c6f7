package dev.ambient.controller.local;

import dev.ambient.controller.cli.MeshCommand;
import dev.ambient.controller.gateway.WaypointGateway;
import dev.ambient.netlab.Exec;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Local waypoints as processes: each waypoint Gateway gets its own network namespace ({@code <node
 * netns>-w<hash>}, so the node's lab owns and cleans it too) with a veth on the node's bridge and
 * an address from the node's pod range, and in it {@code mesh waypoint run} (the same agent a
 * waypoint pod runs: CSR for the Gateway's own SPIFFE identity with a token this controller made,
 * SDS, supervised Envoy configured over ADS). The controller's TLS port is relayed into the
 * namespace on 127.0.0.1, so no interface is ever added to the root namespace. Deleting the Gateway
 * stops the process tree and deletes the namespace. Needs root.
 */
public final class NetnsWaypoints implements LocalWaypoints {
  private static final Logger log = LoggerFactory.getLogger(NetnsWaypoints.class);
  static final int RELAY_PORT = 15012;

  /** Where the waypoints find the controller; known once its server listens. */
  public record Controller(InetSocketAddress address, Path caBundle) {}

  /** Fixed settings: the nodes, where work directories go, Envoy, the trust domain. */
  public record Settings(
      List<NodeNetwork> nodes, Path workRoot, Path envoyBinary, String trustDomain) {}

  private final Settings settings;
  private final LocalWaypointTokens tokens;
  private final Map<String, Running> running = new LinkedHashMap<>();
  private volatile Controller controller;

  private record Running(
      WaypointGateway gateway,
      NodeNetwork node,
      String netns,
      InetAddress address,
      InetAddress serviceVip,
      Process process,
      NetnsRelay relay,
      String token) {}

  public NetnsWaypoints(Settings settings, LocalWaypointTokens tokens) {
    this.settings = settings;
    this.tokens = tokens;
  }

  /** The controller listens: waypoints can start from the next reconcile on. */
  public void controllerReady(Controller controller) {
    this.controller = controller;
  }

  @Override
  public synchronized Map<String, State> reconcile(
      List<WaypointGateway> wanted, Set<String> taken) {
    Map<String, WaypointGateway> byId = new LinkedHashMap<>();
    wanted.forEach(gw -> byId.put(gw.nodeId(), gw));
    for (var it = running.entrySet().iterator(); it.hasNext(); ) {
      var e = it.next();
      WaypointGateway now = byId.get(e.getKey());
      Running r = e.getValue();
      if (now == null || !now.equals(r.gateway()) || !r.process().isAlive()) {
        if (now != null && !r.process().isAlive()) {
          log.warn(
              "waypoint {} exited ({}); restarting it (log: {})",
              e.getKey(),
              r.process().exitValue(),
              workDir(r.gateway()).resolve("agent.log"));
        }
        stop(r);
        it.remove();
      }
    }
    Map<String, State> out = new LinkedHashMap<>();
    Controller c = controller;
    for (WaypointGateway gw : wanted) {
      Running r = running.get(gw.nodeId());
      if (r == null && c == null) {
        out.put(gw.nodeId(), State.notServing("the controller is starting"));
        continue;
      }
      if (r == null) {
        try {
          Set<String> used = new HashSet<>(taken);
          running
              .values()
              .forEach(
                  x -> {
                    used.add(x.address().getHostAddress());
                    used.add(x.serviceVip().getHostAddress());
                  });
          r = start(gw, c, used);
          running.put(gw.nodeId(), r);
        } catch (IOException | RuntimeException e) {
          log.warn("waypoint {} not started: {}", gw.nodeId(), e.getMessage());
          out.put(gw.nodeId(), State.notServing("waypoint process not started: " + e.getMessage()));
          continue;
        }
      }
      out.put(
          gw.nodeId(),
          State.serving(
              r.address().getHostAddress(), r.node().node(), r.serviceVip().getHostAddress()));
    }
    return out;
  }

  private Running start(WaypointGateway gw, Controller c, Set<String> taken) throws IOException {
    NodeNetwork node = settings.nodes().get(0);
    String netns = node.netns() + "-w" + shortHash(gw.nodeId());
    String hostSide = "w" + shortHash(gw.nodeId());
    InetAddress address = node.freeAddress(taken);
    Set<String> takenWithAddress = new HashSet<>(taken);
    takenWithAddress.add(address.getHostAddress());
    InetAddress serviceVip = node.freeAddress(takenWithAddress);
    Path work = workDir(gw);
    String token = null;
    NetnsRelay relay = null;
    try {
      deleteNetns(netns); // a leftover of a crashed controller
      Exec.run("ip", "netns", "add", netns);
      Exec.run("ip", "-n", netns, "link", "set", "lo", "up");
      Exec.run(
          "ip",
          "-n",
          node.netns(),
          "link",
          "add",
          hostSide,
          "type",
          "veth",
          "peer",
          "name",
          "eth0",
          "netns",
          netns);
      Exec.run("ip", "-n", node.netns(), "link", "set", hostSide, "master", node.bridge());
      Exec.run("ip", "-n", node.netns(), "link", "set", hostSide, "up");
      Exec.run(
          "ip",
          "-n",
          netns,
          "addr",
          "add",
          address.getHostAddress() + "/" + node.prefixLength(),
          "dev",
          "eth0");
      Exec.run("ip", "-n", netns, "link", "set", "eth0", "up");
      Exec.run(
          "ip", "-n", netns, "route", "add", "default", "via", node.gateway().getHostAddress());
      relay =
          NetnsRelay.start(
              Path.of("/var/run/netns", netns),
              new InetSocketAddress(InetAddress.getLoopbackAddress(), RELAY_PORT),
              c.address());
      Files.createDirectories(work);
      Files.setPosixFilePermissions(work, PosixFilePermissions.fromString("rwx------"));
      token = tokens.issue(gw.namespace() + "/" + gw.serviceAccount());
      Path tokenFile = work.resolve("token");
      Files.deleteIfExists(tokenFile);
      Files.createFile(
          tokenFile,
          PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
      Files.writeString(tokenFile, token + "\n", StandardCharsets.US_ASCII);
      List<String> argv = new ArrayList<>(List.of(Exec.locate("ip"), "netns", "exec", netns));
      argv.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
      argv.add("-cp");
      argv.add(System.getProperty("java.class.path"));
      argv.add(MeshCommand.class.getName());
      argv.addAll(
          List.of(
              "waypoint",
              "run",
              "--gateway",
              gw.nodeId(),
              "--controller-address",
              "127.0.0.1:" + RELAY_PORT,
              "--ca-root",
              c.caBundle().toAbsolutePath().toString(),
              "--token-file",
              tokenFile.toString(),
              "--work-dir",
              work.resolve("agent").toString(),
              "--trust-domain",
              settings.trustDomain(),
              "--readiness-listen",
              "127.0.0.1:15021"));
      if (settings.envoyBinary() != null) {
        argv.add("--envoy-binary");
        argv.add(settings.envoyBinary().toString());
      }
      ProcessBuilder pb = new ProcessBuilder(argv);
      pb.environment().put("POD_NAMESPACE", gw.namespace());
      pb.environment().put("POD_NAME", gw.name() + "-waypoint");
      pb.environment().put("SERVICE_ACCOUNT", gw.serviceAccount());
      pb.redirectErrorStream(true);
      pb.redirectOutput(ProcessBuilder.Redirect.appendTo(work.resolve("agent.log").toFile()));
      Process process = pb.start();
      log.info(
          "waypoint {} started: netns {}, address {} on node {}, pid {}",
          gw.nodeId(),
          netns,
          address.getHostAddress(),
          node.node(),
          process.pid());
      return new Running(gw, node, netns, address, serviceVip, process, relay, token);
    } catch (IOException | RuntimeException e) {
      if (relay != null) {
        relay.close();
      }
      tokens.revoke(token);
      try {
        deleteNetns(netns);
      } catch (IOException cleanup) {
        e.addSuppressed(cleanup);
      }
      throw e;
    }
  }

  private Path workDir(WaypointGateway gw) {
    return settings.workRoot().resolve(gw.namespace() + "_" + gw.name());
  }

  private void stop(Running r) {
    ProcessHandle h = r.process().toHandle();
    h.descendants().forEach(ProcessHandle::destroy);
    h.destroy();
    try {
      if (!r.process().waitFor(10, TimeUnit.SECONDS)) {
        h.descendants().forEach(ProcessHandle::destroyForcibly);
        h.destroyForcibly();
        r.process().waitFor(5, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    r.relay().close();
    tokens.revoke(r.token());
    try {
      deleteNetns(r.netns());
      log.info("waypoint {} stopped, netns {} deleted", r.gateway().nodeId(), r.netns());
    } catch (IOException e) {
      log.warn(
          "waypoint {}: netns {} not deleted: {}", r.gateway().nodeId(), r.netns(), e.getMessage());
    }
  }

  /** Kills what still runs in the namespace (Envoy, if its agent died first) and deletes it. */
  static void deleteNetns(String netns) throws IOException {
    if (!Files.exists(Path.of("/var/run/netns", netns))) {
      return;
    }
    long self = ProcessHandle.current().pid();
    for (String line : Exec.run("ip", "netns", "pids", netns).split("\n")) {
      String pid = line.strip();
      if (!pid.isEmpty() && Long.parseLong(pid) != self) {
        ProcessHandle.of(Long.parseLong(pid)).ifPresent(ProcessHandle::destroyForcibly);
      }
    }
    Exec.run("ip", "netns", "del", netns);
  }

  static String shortHash(String s) {
    try {
      byte[] d = MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(d, 0, 4);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The namespace a waypoint of this Gateway gets on the first node (for tests and cleanup). */
  public String netnsOf(WaypointGateway gw) {
    return settings.nodes().get(0).netns() + "-w" + shortHash(gw.nodeId());
  }

  @Override
  public synchronized boolean changed() {
    for (Running r : running.values()) {
      if (!r.process().isAlive()) {
        return true;
      }
    }
    return false;
  }

  @Override
  public synchronized void close() {
    for (Running r : running.values()) {
      stop(r);
    }
    running.clear();
  }
}
