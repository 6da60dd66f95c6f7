package dev.ambient.netlab;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Pods and nodes as network namespaces on one machine, for tests, the demo and the benchmarks.
 *
 * <p>A {@link Node} is a namespace with a bridge; a {@link Pod} is a namespace with a veth into its
 * node's bridge; {@link #link} joins two nodes with a veth pair and routes their pod ranges to each
 * other. Every interface is created directly inside a namespace of the lab, never in the root
 * namespace, so deleting the namespaces removes everything; the JVM itself stays in the root
 * namespace.
 *
 * <p>Names: every namespace is {@code <prefix>-<node>} or {@code <prefix>-<node>-<pod>}; devices
 * are {@code <prefix>-br}, {@code <prefix>-v<n>}, {@code <prefix>-l<n>a|b} and the pods' {@code
 * eth0}, all within the kernel's 15 characters. The prefix is claimed by an owner file in {@value
 * #RUN_DIR_NAME} naming this JVM, so {@link #cleanupLeftovers} can tell an aborted run (owner dead)
 * from a concurrent one (owner alive) and never removes the latter.
 *
 * <p>Not thread-safe for concurrent topology changes from several threads without the lab's own
 * lock: every public method synchronizes on the lab.
 */
public final class NetLab implements AutoCloseable {
  static final String RUN_DIR_NAME = "/run/netlab";
  static final Path RUN_DIR = Path.of(RUN_DIR_NAME);

  /** The prefix scheme of {@link #create()}: "al" and four hex digits. */
  public static final String RANDOM_PREFIX_PATTERN = "al[0-9a-f]{4}";

  /** Node links take their /30s from here; pod ranges must not overlap it. */
  private static final Ipv4Cidr LINK_RANGE = Ipv4Cidr.parse("10.255.0.0/16", "link range");

  private static final Pattern PREFIX = Pattern.compile("[a-z][a-z0-9]{1,7}");
  private static final Pattern NODE_NAME = Pattern.compile("[a-z0-9]([a-z0-9-]{0,14}[a-z0-9])?");
  private static final Pattern POD_NAME = Pattern.compile("[a-z0-9]([a-z0-9-]{0,38}[a-z0-9])?");
  private static final int MAX_DEVICE_INDEX = 999;

  private final String prefix;
  private final Map<String, NodeState> nodes = new LinkedHashMap<>();
  private final Map<String, Pod> pods = new LinkedHashMap<>();
  private final Set<String> linked = new LinkedHashSet<>();
  private final List<Process> processes = new ArrayList<>();
  private final Thread shutdownHook;
  private int deviceCount;
  private int linkCount;
  private boolean kept;
  private boolean closed;

  private NetLab(String prefix) {
    this.prefix = prefix;
    this.shutdownHook = new Thread(this::close, "netlab-" + prefix + "-cleanup");
  }

  /** True when this process runs as root (effective uid 0), which namespaces and iptables need. */
  public static boolean isRoot() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith("Uid:")) {
          String[] ids = line.substring(4).strip().split("\\s+");
          return ids.length > 1 && ids[1].equals("0");
        }
      }
    } catch (IOException e) {
      return false;
    }
    return false;
  }

  /**
   * Why a lab cannot be built here, if it cannot: for {@code Assumptions.assumeTrue} and CLI
   * messages. Empty when root on Linux with {@code ip} installed.
   */
  public static Optional<String> unavailableReason() {
    if (!System.getProperty("os.name", "").toLowerCase().contains("linux")) {
      return Optional.of("skipped: network namespaces need Linux");
    }
    if (!isRoot()) {
      return Optional.of("skipped: needs root for network namespaces");
    }
    if (!Exec.available("ip")) {
      return Optional.of("skipped: the ip command (iproute2) is not installed");
    }
    return Optional.empty();
  }

  /**
   * A new, empty lab with a random prefix ({@value #RANDOM_PREFIX_PATTERN}); a shutdown hook
   * removes it if the JVM exits (or gets Ctrl-C) before {@link #close()}.
   */
  public static NetLab create() throws IOException {
    SecureRandom random = new SecureRandom();
    for (int attempt = 0; attempt < 20; attempt++) {
      String candidate = String.format("al%04x", random.nextInt(0x10000));
      NetLab lab = tryClaim(candidate);
      if (lab != null) {
        return lab;
      }
    }
    throw new IOException("netlab: no free random prefix after 20 attempts (see " + RUN_DIR + ")");
  }

  /**
   * A new lab with a chosen prefix ({@code [a-z][a-z0-9]{1,7}}), e.g. for the demo topology of
   * {@code mesh netns up}. Fails if a lab with that prefix exists.
   */
  public static NetLab create(String prefix) throws IOException {
    checkPrefix(prefix);
    NetLab lab = tryClaim(prefix);
    if (lab == null) {
      throw new IOException(
          "netlab: prefix "
              + prefix
              + " is in use (remove it with `mesh netns down --prefix "
              + prefix
              + "`)");
    }
    return lab;
  }

  private static NetLab tryClaim(String prefix) throws IOException {
    if (!namespacesOf(prefix).isEmpty()) {
      return null;
    }
    if (!LabOwner.claim(prefix)) {
      return null;
    }
    NetLab lab = new NetLab(prefix);
    Runtime.getRuntime().addShutdownHook(lab.shutdownHook);
    return lab;
  }

  public String prefix() {
    return prefix;
  }

  /**
   * Adds a node: namespace {@code <prefix>-<name>} with a bridge holding the first address of
   * {@code podCidr}, forwarding on.
   *
   * @param name {@code [a-z0-9]([a-z0-9-]*[a-z0-9])?}, at most 16 characters, e.g. {@code node-a}
   * @param podCidr IPv4, prefix length 8..30, not overlapping other nodes or 10.255.0.0/16
   */
  public synchronized Node node(String name, String podCidr) throws IOException {
    checkOpen();
    if (name == null || !NODE_NAME.matcher(name).matches()) {
      throw new IllegalArgumentException(
          "node name: \"" + name + "\" must match " + NODE_NAME.pattern());
    }
    if (nodes.containsKey(name)) {
      throw new IllegalArgumentException("node " + name + ": already exists in lab " + prefix);
    }
    Ipv4Cidr cidr = Ipv4Cidr.parse(podCidr, "node " + name + " podCidr");
    if (cidr.overlaps(LINK_RANGE)) {
      throw new IllegalArgumentException(
          "node " + name + " podCidr: " + cidr + " overlaps the node-link range " + LINK_RANGE);
    }
    for (NodeState other : nodes.values()) {
      if (cidr.overlaps(other.cidr)) {
        throw new IllegalArgumentException(
            "node "
                + name
                + " podCidr: "
                + cidr
                + " overlaps node "
                + other.node.name()
                + " ("
                + other.cidr
                + ")");
      }
    }
    String netns = prefix + "-" + name;
    checkFree(netns, "node " + name);
    String bridge = prefix + "-br";
    InetAddress bridgeIp = cidr.host(1);
    Node node = new Node(name, netns, Netns.path(netns), bridge, bridgeIp, cidr.toString());
    NodeState state = new NodeState(node, cidr);
    // Registered before anything exists, so close() removes whatever part of it got built.
    nodes.put(name, state);
    Exec.run("ip", "netns", "add", netns);
    ip(netns, "link", "set", "lo", "up");
    ip(netns, "link", "add", bridge, "type", "bridge");
    ip(netns, "addr", "add", bridgeIp.getHostAddress() + "/" + cidr.length(), "dev", bridge);
    ip(netns, "link", "set", bridge, "up");
    // What `sysctl -w net.ipv4.ip_forward=1` does, without needing procps: /proc/sys/net shows the
    // namespace of the process that opens it.
    Exec.run(Netns.execArgv(netns, "sh", "-c", "echo 1 > /proc/sys/net/ipv4/ip_forward"), null);
    return node;
  }

  /**
   * The node link: a veth pair between the two node namespaces with a /30 from 10.255.0.0/16, and a
   * route in each node to the other's pod range. Forwarding is already on in every node.
   */
  public synchronized void link(Node a, Node b) throws IOException {
    checkOpen();
    NodeState sa = known(a);
    NodeState sb = known(b);
    if (sa == sb) {
      throw new IllegalArgumentException("link: node " + a.name() + " cannot link to itself");
    }
    String key =
        a.name().compareTo(b.name()) < 0 ? a.name() + "|" + b.name() : b.name() + "|" + a.name();
    if (!linked.add(key)) {
      throw new IllegalArgumentException(
          "link: nodes " + a.name() + " and " + b.name() + " are already linked");
    }
    int index = ++linkCount;
    if (index > 254) {
      throw new IllegalStateException("link: at most 254 node links per lab");
    }
    String devA = prefix + "-l" + index + "a";
    String devB = prefix + "-l" + index + "b";
    Ipv4Cidr subnet = new Ipv4Cidr(LINK_RANGE.network() | (index << 8), 30);
    InetAddress ipA = subnet.host(1);
    InetAddress ipB = subnet.host(2);
    ip(a.netns(), "link", "add", devA, "type", "veth", "peer", "name", devB, "netns", b.netns());
    ip(a.netns(), "addr", "add", ipA.getHostAddress() + "/30", "dev", devA);
    ip(b.netns(), "addr", "add", ipB.getHostAddress() + "/30", "dev", devB);
    ip(a.netns(), "link", "set", devA, "up");
    ip(b.netns(), "link", "set", devB, "up");
    ip(a.netns(), "route", "add", sb.cidr.toString(), "via", ipB.getHostAddress());
    ip(b.netns(), "route", "add", sa.cidr.toString(), "via", ipA.getHostAddress());
    sa.links.put(b.name(), new LinkEnd(devA, ipA));
    sb.links.put(a.name(), new LinkEnd(devB, ipB));
  }

  /**
   * The device of the node link between {@code from} and {@code to}, inside {@code from}'s
   * namespace: where to capture the bytes that cross between the nodes.
   */
  public synchronized String linkDevice(Node from, Node to) {
    LinkEnd end = known(from).links.get(to.name());
    if (end == null) {
      throw new IllegalArgumentException(
          "linkDevice: nodes " + from.name() + " and " + to.name() + " are not linked");
    }
    return end.device;
  }

  /** {@code from}'s address on the node link to {@code to}. */
  public synchronized InetAddress linkAddress(Node from, Node to) {
    LinkEnd end = known(from).links.get(to.name());
    if (end == null) {
      throw new IllegalArgumentException(
          "linkAddress: nodes " + from.name() + " and " + to.name() + " are not linked");
    }
    return end.address;
  }

  /**
   * Adds a pod on {@code node}: namespace {@code <prefix>-<node>-<name>}, {@code eth0} on the
   * node's bridge with the next free address of the node's range, default route via the bridge,
   * {@code lo} up.
   *
   * @param name {@code [a-z0-9]([a-z0-9-]*[a-z0-9])?}, at most 40 characters, unique on the node
   */
  public synchronized Pod pod(Node node, String name) throws IOException {
    checkOpen();
    NodeState state = known(node);
    if (name == null || !POD_NAME.matcher(name).matches()) {
      throw new IllegalArgumentException(
          "pod name: \"" + name + "\" must match " + POD_NAME.pattern());
    }
    String netns = node.netns() + "-" + name;
    if (pods.containsKey(netns)) {
      throw new IllegalArgumentException("pod " + name + ": already exists on node " + node.name());
    }
    int host = state.used.nextClearBit(2);
    if (host > state.cidr.hostCount()) {
      throw new IOException(
          "pod " + name + ": node " + node.name() + " has no free address in " + state.cidr);
    }
    if (deviceCount >= MAX_DEVICE_INDEX) {
      throw new IllegalStateException(
          "pod " + name + ": at most " + MAX_DEVICE_INDEX + " pods per lab");
    }
    String hostSide = prefix + "-v" + (++deviceCount);
    InetAddress ip = state.cidr.host(host);
    Pod pod = new Pod(name, netns, Netns.path(netns), ip, node);
    state.used.set(host);
    pods.put(netns, pod);
    Exec.run("ip", "netns", "add", netns);
    ip(netns, "link", "set", "lo", "up");
    ip(
        node.netns(),
        "link",
        "add",
        hostSide,
        "type",
        "veth",
        "peer",
        "name",
        Pod.INTERFACE,
        "netns",
        netns);
    ip(node.netns(), "link", "set", hostSide, "master", node.bridge());
    ip(node.netns(), "link", "set", hostSide, "up");
    ip(netns, "addr", "add", ip.getHostAddress() + "/" + state.cidr.length(), "dev", Pod.INTERFACE);
    ip(netns, "link", "set", Pod.INTERFACE, "up");
    ip(netns, "route", "add", "default", "via", node.bridgeIp().getHostAddress());
    return pod;
  }

  /** Removes the pod: kills its processes, deletes its namespace (its veth goes with it). */
  public synchronized void deletePod(Pod pod) throws IOException {
    checkOpen();
    Pod known = pods.get(pod.netns());
    if (known == null) {
      throw new IllegalArgumentException(
          "deletePod: pod " + pod.netns() + " is not in lab " + prefix);
    }
    Netns.delete(pod.netns());
    pods.remove(pod.netns());
    NodeState state = nodes.get(pod.node().name());
    state.used.clear(hostIndex(state.cidr, pod.ip()));
  }

  /** The pods currently in the lab, in creation order. */
  public synchronized List<Pod> pods() {
    return List.copyOf(pods.values());
  }

  /** The nodes of the lab, in creation order. */
  public synchronized List<Node> nodes() {
    List<Node> out = new ArrayList<>();
    nodes.values().forEach(s -> out.add(s.node));
    return out;
  }

  /** Starts {@code argv} inside the pod's namespace and kills it (and its children) on close. */
  public synchronized Process start(Pod pod, String... argv) throws IOException {
    checkOpen();
    Process p = pod.start(argv);
    processes.add(p);
    return p;
  }

  /** Starts {@code argv} inside the node's namespace and kills it (and its children) on close. */
  public synchronized Process start(Node node, String... argv) throws IOException {
    checkOpen();
    Process p = node.start(argv);
    processes.add(p);
    return p;
  }

  /**
   * The argv that runs {@code mainClass} in a fresh JVM with this JVM's java and class path: the
   * simplest portable way to put a small Java server or client inside a pod.
   */
  public static List<String> javaArgv(Class<?> mainClass, String... args) {
    List<String> argv = new ArrayList<>();
    argv.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    argv.add("-cp");
    argv.add(System.getProperty("java.class.path"));
    argv.add(mainClass.getName());
    argv.addAll(List.of(args));
    return argv;
  }

  /**
   * Leaves the topology in place when this JVM exits (for {@code mesh netns up}); it is removed
   * later by {@link #destroy(String)} and never by {@link #cleanupLeftovers}.
   */
  public synchronized void keep() throws IOException {
    checkOpen();
    LabOwner.markKept(prefix);
    kept = true;
    closed = true;
    removeHook();
  }

  /**
   * Removes every namespace (and with them every device) of the lab and kills the processes it
   * started or that run inside its namespaces. Idempotent; safe after a partial failure; never
   * throws (problems are printed, and {@link #cleanupLeftovers} finishes the job next time).
   */
  @Override
  public void close() {
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
    }
    for (Process p : processes) {
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly();
    }
    int failures = destroyQuietly(prefix);
    if (failures == 0) {
      LabOwner.release(prefix);
    }
    removeHook();
  }

  /**
   * Removes a lab by prefix, whoever created it (e.g. one kept by {@code mesh netns up}): kills the
   * processes in its namespaces, deletes them, removes stray root-namespace devices named after it
   * and its owner file. Returns how many namespaces and devices it removed.
   */
  public static int destroy(String prefix) throws IOException {
    checkPrefix(prefix);
    int removed = 0;
    IOException first = null;
    for (String ns : namespacesOf(prefix)) {
      try {
        Netns.delete(ns);
        removed++;
      } catch (IOException e) {
        first = first == null ? e : first;
      }
    }
    for (String dev : rootDevicesOf(prefix)) {
      try {
        Exec.run("ip", "link", "del", dev);
        removed++;
      } catch (IOException e) {
        first = first == null ? e : first;
      }
    }
    if (first != null) {
      throw first;
    }
    LabOwner.release(prefix);
    return removed;
  }

  /**
   * Removes the namespaces and devices of earlier runs whose prefix matches {@code prefixPattern}
   * (a regular expression for the whole prefix, e.g. {@link #RANDOM_PREFIX_PATTERN}) and whose
   * owner JVM is gone. Labs of live JVMs and kept labs are left alone. Returns how many namespaces
   * and devices it removed; never throws (problems are printed).
   */
  public static int cleanupLeftovers(String prefixPattern) {
    Pattern pattern = Pattern.compile(prefixPattern);
    Set<String> prefixes = new LinkedHashSet<>();
    try {
      for (String ns : Netns.list()) {
        int dash = ns.indexOf('-');
        if (dash > 0) {
          prefixes.add(ns.substring(0, dash));
        }
      }
      prefixes.addAll(LabOwner.claimedPrefixes());
    } catch (IOException e) {
      System.err.println("netlab: cannot list namespaces for cleanup: " + e.getMessage());
      return 0;
    }
    int removed = 0;
    for (String p : prefixes) {
      if (!pattern.matcher(p).matches()
          || !PREFIX.matcher(p).matches()
          || !LabOwner.isAbandoned(p)) {
        continue;
      }
      try {
        removed += destroy(p);
      } catch (IOException e) {
        System.err.println("netlab: cleanup of leftover lab " + p + ": " + e.getMessage());
      }
    }
    return removed;
  }

  /** Names of the namespaces that belong to the lab {@code prefix}. */
  public static List<String> namespacesOf(String prefix) throws IOException {
    List<String> out = new ArrayList<>();
    for (String ns : Netns.list()) {
      if (ns.startsWith(prefix + "-")) {
        out.add(ns);
      }
    }
    return out;
  }

  static List<String> rootDevicesOf(String prefix) throws IOException {
    List<String> out = new ArrayList<>();
    for (String line : Exec.run("ip", "-o", "link", "show").split("\n")) {
      // "7: name@peer: <...>"
      String[] parts = line.split(":", 3);
      if (parts.length < 2) {
        continue;
      }
      String name = parts[1].strip();
      int at = name.indexOf('@');
      name = at < 0 ? name : name.substring(0, at);
      if (name.startsWith(prefix + "-")) {
        out.add(name);
      }
    }
    return out;
  }

  private static int destroyQuietly(String prefix) {
    try {
      destroy(prefix);
      return 0;
    } catch (IOException e) {
      System.err.println("netlab: cleanup of lab " + prefix + ": " + e.getMessage());
      return 1;
    }
  }

  private void removeHook() {
    try {
      Runtime.getRuntime().removeShutdownHook(shutdownHook);
    } catch (IllegalStateException e) {
      // Already shutting down: the hook is what is running us.
    }
  }

  private static void checkPrefix(String prefix) {
    if (prefix == null || !PREFIX.matcher(prefix).matches()) {
      throw new IllegalArgumentException(
          "netlab prefix: \"" + prefix + "\" must match " + PREFIX.pattern());
    }
  }

  /** Dashes make names like node "a-b" + pod "c" and node "a" + pod "b-c" meet. */
  private static void checkFree(String netns, String what) {
    if (Netns.exists(netns)) {
      throw new IllegalArgumentException(
          what + ": namespace " + netns + " already exists (name collision)");
    }
  }

  private void checkOpen() {
    if (closed) {
      throw new IllegalStateException(
          "netlab " + prefix + ": " + (kept ? "kept, no longer managed here" : "closed"));
    }
  }

  private NodeState known(Node node) {
    NodeState state = nodes.get(node.name());
    if (state == null || !state.node.equals(node)) {
      throw new IllegalArgumentException("node " + node.name() + ": not in lab " + prefix);
    }
    return state;
  }

  private static int hostIndex(Ipv4Cidr cidr, InetAddress ip) {
    return Ipv4Cidr.parseAddress(ip.getHostAddress(), "pod ip") - cidr.network();
  }

  private static void ip(String netns, String... args) throws IOException {
    List<String> argv = new ArrayList<>(List.of("ip", "-n", netns));
    argv.addAll(List.of(args));
    Exec.run(argv, null);
  }

  private static final class NodeState {
    final Node node;
    final Ipv4Cidr cidr;
    final BitSet used = new BitSet();
    final Map<String, LinkEnd> links = new LinkedHashMap<>();

    NodeState(Node node, Ipv4Cidr cidr) {
      this.node = node;
      this.cidr = cidr;
      used.set(0, 2); // network address and the bridge
    }
  }

  private record LinkEnd(String device, InetAddress address) {}
}
