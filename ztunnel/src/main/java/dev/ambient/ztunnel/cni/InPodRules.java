package dev.ambient.ztunnel.cni;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * The capture rules inside one pod's network namespace (Istio's in-pod rules, {@code
 * cni/pkg/iptables/testdata/default.golden}, adapted to nat REDIRECT):
 *
 * <pre>
 * mangle AMBIENT_PREROUTING, AMBIENT_OUTPUT: packets of ztunnel's own sockets (SO_MARK 0x539) mark
 *        their connection 0x111; on OUTPUT the connection mark is restored onto every packet
 * nat AMBIENT_PREROUTING: TCP not to 127.0.0.1, not to port 15008, not ztunnel's -> REDIRECT 15006
 * nat AMBIENT_OUTPUT:     -o lo ACCEPT; marked 0x111 or 0x539 ACCEPT; TCP to port 53 ACCEPT
 *        (DNS is not captured yet); any other TCP -> REDIRECT 15001
 * </pre>
 *
 * <p>The rules live in dedicated chains, entered by one jump at the head of each built-in chain, so
 * {@link #remove} takes out exactly what {@link #add} put in and leaves the pod's own rules alone.
 * Each change is one {@code iptables-restore --noflush} transaction: it applies whole or not at
 * all. {@link #add} is idempotent (declaring a chain in a restore flushes it, and a jump that is
 * already there is not added twice); {@link #remove} of absent rules does nothing.
 */
public final class InPodRules {
  /** SO_MARK on ztunnel's sockets inside the pod (Istio's 1337). */
  public static final int ZTUNNEL_MARK = 0x539;

  /** Connection mark of ztunnel's connections (Istio's 0x111, mask 0xfff). */
  public static final int CONNECTION_MARK = 0x111;

  public static final int OUTBOUND_PORT = 15001;
  public static final int INBOUND_PLAINTEXT_PORT = 15006;
  public static final int HBONE_PORT = 15008;

  public static final String PREROUTING_CHAIN = "AMBIENT_PREROUTING";
  public static final String OUTPUT_CHAIN = "AMBIENT_OUTPUT";

  private static final String MASK = "/0xfff";
  private static final String ZTUNNEL = "0x" + Integer.toHexString(ZTUNNEL_MARK) + MASK;
  private static final String CONNMARK = "0x" + Integer.toHexString(CONNECTION_MARK) + MASK;

  /** table -> our chain -> its rules, in order. */
  private static final Map<String, Map<String, List<String>>> RULES = rules();

  /** Built-in chain that jumps to each of our chains (same name minus the prefix). */
  private static final Map<String, String> JUMP_FROM =
      Map.of(PREROUTING_CHAIN, "PREROUTING", OUTPUT_CHAIN, "OUTPUT");

  private final Path netns;

  /** The rules of the pod whose network namespace is {@code netns} (a bind mount or /proc path). */
  public InPodRules(Path netns) {
    this.netns = Objects.requireNonNull(netns, "netns");
  }

  public Path netns() {
    return netns;
  }

  /** Installs (or re-installs) the rules, atomically. */
  public void add() throws IOException {
    restore(addScript(save()));
  }

  /** Removes the rules, atomically; nothing to do if they are absent. */
  public void remove() throws IOException {
    String script = removeScript(save());
    if (!script.isEmpty()) {
      restore(script);
    }
  }

  /** True when every chain and jump of the rules is present. */
  public boolean installed() throws IOException {
    Parsed p = Parsed.of(save());
    for (Map.Entry<String, Map<String, List<String>>> table : RULES.entrySet()) {
      for (String chain : table.getValue().keySet()) {
        if (!p.chains(table.getKey()).contains(chain)
            || p.jumps(table.getKey(), JUMP_FROM.get(chain), chain) == 0) {
          return false;
        }
      }
    }
    return true;
  }

  /** The namespace's whole ruleset, {@code iptables-save} format. */
  public String save() throws IOException {
    return NetnsCommand.run(netns, null, "iptables-save");
  }

  private void restore(String script) throws IOException {
    NetnsCommand.run(netns, script, "iptables-restore", "-w", "10", "--noflush");
  }

  /**
   * The rules of an {@code iptables-save} dump without comments, counters or empty tables: what to
   * compare when asking "are the pod's rules what they were".
   */
  public static List<String> ruleLines(String save) {
    Parsed p = Parsed.of(save);
    List<String> out = new ArrayList<>();
    for (String table : p.tables()) {
      for (String chain : p.chains(table)) {
        if (!isBuiltin(chain)) {
          out.add(table + " chain " + chain);
        }
      }
      for (String rule : p.rules(table)) {
        out.add(table + " " + rule);
      }
    }
    return out;
  }

  static String addScript(String currentSave) {
    Parsed p = Parsed.of(currentSave);
    StringBuilder s = new StringBuilder();
    for (Map.Entry<String, Map<String, List<String>>> table : RULES.entrySet()) {
      String t = table.getKey();
      s.append('*').append(t).append('\n');
      for (String chain : table.getValue().keySet()) {
        s.append(':').append(chain).append(" - [0:0]\n");
      }
      for (String chain : table.getValue().keySet()) {
        String from = JUMP_FROM.get(chain);
        if (p.jumps(t, from, chain) == 0) {
          // At the head, so that the pod's own rules cannot let traffic bypass capture.
          s.append("-I ").append(from).append(" 1 -j ").append(chain).append('\n');
        }
      }
      for (Map.Entry<String, List<String>> chain : table.getValue().entrySet()) {
        for (String rule : chain.getValue()) {
          s.append("-A ").append(chain.getKey()).append(' ').append(rule).append('\n');
        }
      }
      s.append("COMMIT\n");
    }
    return s.toString();
  }

  static String removeScript(String currentSave) {
    Parsed p = Parsed.of(currentSave);
    StringBuilder s = new StringBuilder();
    for (Map.Entry<String, Map<String, List<String>>> table : RULES.entrySet()) {
      String t = table.getKey();
      StringBuilder body = new StringBuilder();
      for (String chain : table.getValue().keySet()) {
        String from = JUMP_FROM.get(chain);
        for (int i = p.jumps(t, from, chain); i > 0; i--) {
          body.append("-D ").append(from).append(" -j ").append(chain).append('\n');
        }
      }
      for (String chain : table.getValue().keySet()) {
        if (p.chains(t).contains(chain)) {
          body.append("-F ").append(chain).append('\n');
          body.append("-X ").append(chain).append('\n');
        }
      }
      if (body.length() > 0) {
        s.append('*').append(t).append('\n').append(body).append("COMMIT\n");
      }
    }
    return s.toString();
  }

  private static boolean isBuiltin(String chain) {
    return Set.of("PREROUTING", "INPUT", "FORWARD", "OUTPUT", "POSTROUTING").contains(chain);
  }

  private static Map<String, Map<String, List<String>>> rules() {
    Map<String, List<String>> mangle = new LinkedHashMap<>();
    String setConnmark = "-m mark --mark " + ZTUNNEL + " -j CONNMARK --set-xmark " + CONNMARK;
    // Loopback copies of ztunnel's packets reach PREROUTING with their mark: same connection.
    mangle.put(PREROUTING_CHAIN, List.of(setConnmark));
    mangle.put(
        OUTPUT_CHAIN,
        List.of(
            setConnmark,
            "-m connmark --mark "
                + CONNMARK
                + " -j CONNMARK --restore-mark --nfmask 0xffffffff --ctmask 0xffffffff"));
    Map<String, List<String>> nat = new LinkedHashMap<>();
    nat.put(
        PREROUTING_CHAIN,
        List.of(
            "! -d 127.0.0.1/32 -p tcp -m tcp ! --dport "
                + HBONE_PORT
                + " -m mark ! --mark "
                + ZTUNNEL
                + " -m connmark ! --mark "
                + CONNMARK
                + " -j REDIRECT --to-ports "
                + INBOUND_PLAINTEXT_PORT));
    nat.put(
        OUTPUT_CHAIN,
        List.of(
            "-o lo -j ACCEPT",
            "-p tcp -m mark --mark " + CONNMARK + " -j ACCEPT",
            "-p tcp -m mark --mark " + ZTUNNEL + " -j ACCEPT",
            "-p tcp -m tcp --dport 53 -j ACCEPT",
            "-p tcp -j REDIRECT --to-ports " + OUTBOUND_PORT));
    Map<String, Map<String, List<String>>> all = new LinkedHashMap<>();
    all.put("mangle", mangle);
    all.put("nat", nat);
    return all;
  }

  /** The parts of an iptables-save dump this class looks at. */
  private static final class Parsed {
    private final Map<String, Set<String>> chains = new LinkedHashMap<>();
    private final Map<String, List<String>> rules = new LinkedHashMap<>();

    static Parsed of(String save) {
      Parsed p = new Parsed();
      String table = null;
      for (String raw : save.split("\n")) {
        String line = raw.strip();
        if (line.isEmpty() || line.startsWith("#") || line.equals("COMMIT")) {
          continue;
        }
        if (line.startsWith("*")) {
          table = line.substring(1);
          p.chains.computeIfAbsent(table, k -> new LinkedHashSet<>());
          p.rules.computeIfAbsent(table, k -> new ArrayList<>());
        } else if (table != null && line.startsWith(":")) {
          int space = line.indexOf(' ');
          p.chains.get(table).add(space < 0 ? line.substring(1) : line.substring(1, space));
        } else if (table != null && line.startsWith("-A ")) {
          p.rules.get(table).add(line);
        }
      }
      // An empty table ("*nat" with only built-in chains) is the same as no table at all.
      p.chains
          .keySet()
          .removeIf(
              t ->
                  p.rules.get(t).isEmpty()
                      && p.chains.get(t).stream().allMatch(InPodRules::isBuiltin));
      p.rules.keySet().retainAll(p.chains.keySet());
      return p;
    }

    Set<String> tables() {
      return chains.keySet();
    }

    Set<String> chains(String table) {
      return chains.getOrDefault(table, Set.of());
    }

    List<String> rules(String table) {
      return rules.getOrDefault(table, List.of());
    }

    int jumps(String table, String from, String to) {
      String jump = "-A " + from + " -j " + to;
      int n = 0;
      for (String rule : rules(table)) {
        if (rule.equals(jump)) {
          n++;
        }
      }
      return n;
    }
  }
}
