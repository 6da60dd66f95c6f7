package dev.ambient.controller.kube;

import dev.ambient.api.authz.AuthorizationPolicy;
import dev.ambient.api.authz.Clause;
import dev.ambient.api.authz.Match;
import dev.ambient.api.authz.Rule;
import dev.ambient.api.authz.StringMatch;
import dev.ambient.api.model.MeshConfig;
import dev.ambient.api.model.Workload;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Istio PeerAuthentication for ztunnel, a pure function: ztunnel always originates mTLS, so what a
 * PeerAuthentication decides in ambient mode is whether a workload also accepts plaintext. Each
 * workload's effective mode is resolved as Istio does (the oldest workload-level policy whose
 * selector matches, else the namespace's, else the mesh-wide one in the root namespace; {@code
 * UNSET} inherits from the level above, PERMISSIVE by default; {@code portLevelMtls} refines a
 * workload-level policy per target port; DISABLE accepts plaintext like PERMISSIVE), then expressed
 * as an L4 DENY policy for callers without a peer identity ({@code notPrincipals: ["*"]}) on the
 * strict ports. Istio's ztunnel gets it the same way, as a converted authorization.
 *
 * <p>Resolution is per workload while the model selects policies by labels within a namespace, so
 * workloads with the same outcome get the label {@value #LABEL} naming it, and their namespace one
 * policy {@value #NAME_PREFIX}{@code <outcome>} selecting it.
 *
 * <p>An invalid PeerAuthentication (an unknown mode, a port that is not a number, portLevelMtls
 * without a selector) is reported naming the field, and fails closed: it counts as STRICT on every
 * port for the workloads it would select.
 */
public final class PeerAuthentications {
  /** {@code _} cannot occur in Kubernetes names, so no user policy clashes. */
  public static final String NAME_PREFIX = "istio_converted_peer_authentication_";

  public static final String LABEL = "ambient.dev/peer-authentication";

  private PeerAuthentications() {}

  /** The mesh with the converted policies, and what was wrong with the PeerAuthentications. */
  public record Result(MeshConfig config, List<String> problems) {
    public Result {
      problems = List.copyOf(problems);
    }
  }

  enum Mode {
    UNSET,
    DISABLE,
    PERMISSIVE,
    STRICT
  }

  /** One PeerAuthentication as the resolution reads it. */
  record Parsed(
      String namespace,
      String name,
      String created,
      Map<String, String> selector,
      Mode mode,
      Map<Integer, Mode> ports) {
    boolean workloadLevel() {
      return selector != null && !selector.isEmpty();
    }

    boolean selects(Workload w) {
      return w.namespace().equals(namespace)
          && selector.entrySet().stream()
              .allMatch(e -> e.getValue().equals(w.labels().get(e.getKey())));
    }
  }

  /** What a workload accepts: strict everywhere but {@code exceptions}, or only on them. */
  record Outcome(boolean strictByDefault, TreeSet<Integer> exceptions) {
    boolean acceptsAllPlaintext() {
      return !strictByDefault && exceptions.isEmpty();
    }

    String key() {
      StringBuilder b = new StringBuilder(strictByDefault ? "strict" : "strict-on");
      if (!exceptions.isEmpty()) {
        b.append(strictByDefault ? "-except" : "");
        for (int p : exceptions) {
          b.append('-').append(p);
        }
      }
      return b.toString();
    }
  }

  private static final Comparator<Parsed> OLDEST_FIRST =
      Comparator.comparing(Parsed::created).thenComparing(Parsed::name);

  public static Result apply(
      MeshConfig config, List<GenericKubernetesResource> objects, String rootNamespace) {
    List<String> problems = new ArrayList<>();
    List<Parsed> all = new ArrayList<>();
    for (int i = 0; i < objects.size(); i++) {
      all.add(parse(objects.get(i), i, problems));
    }
    all.sort(OLDEST_FIRST);
    Optional<Parsed> mesh =
        all.stream()
            .filter(p -> p.namespace().equals(rootNamespace) && !p.workloadLevel())
            .findFirst();
    List<Workload> workloads = new ArrayList<>();
    Map<String, AuthorizationPolicy> policies = new LinkedHashMap<>();
    for (Workload w : config.workloads()) {
      Outcome outcome = resolve(w, all, mesh);
      if (outcome.acceptsAllPlaintext()) {
        workloads.add(w);
        continue;
      }
      String key = outcome.key();
      Map<String, String> labels = new LinkedHashMap<>(w.labels());
      labels.put(LABEL, key);
      workloads.add(w.withLabels(labels));
      policies.computeIfAbsent(w.namespace() + "/" + key, k -> policy(w.namespace(), outcome));
    }
    if (policies.isEmpty()) {
      return new Result(config, problems);
    }
    List<AuthorizationPolicy> allPolicies = new ArrayList<>(config.policies());
    allPolicies.addAll(policies.values());
    return new Result(new MeshConfig(workloads, config.services(), allPolicies), problems);
  }

  private static Outcome resolve(Workload w, List<Parsed> all, Optional<Parsed> mesh) {
    Optional<Parsed> namespace =
        all.stream()
            .filter(p -> p.namespace().equals(w.namespace()) && !p.workloadLevel())
            .findFirst();
    Optional<Parsed> workload =
        all.stream().filter(p -> p.workloadLevel() && p.selects(w)).findFirst();
    Mode base = Mode.PERMISSIVE;
    for (Optional<Parsed> level : List.of(mesh, namespace, workload)) {
      if (level.isPresent() && level.get().mode() != Mode.UNSET) {
        base = level.get().mode();
      }
    }
    boolean strict = base == Mode.STRICT;
    TreeSet<Integer> exceptions = new TreeSet<>();
    if (workload.isPresent()) {
      workload
          .get()
          .ports()
          .forEach(
              (port, mode) -> {
                if (mode != Mode.UNSET && (mode == Mode.STRICT) != strict) {
                  exceptions.add(port);
                }
              });
    }
    return new Outcome(strict, exceptions);
  }

  /** DENY callers without a peer identity on the strict ports. */
  private static AuthorizationPolicy policy(String namespace, Outcome outcome) {
    List<Clause> clauses = new ArrayList<>();
    clauses.add(new Clause(List.of(Match.notPrincipals(List.of(new StringMatch.Presence())))));
    List<Integer> ports = List.copyOf(outcome.exceptions());
    if (!ports.isEmpty()) {
      clauses.add(
          new Clause(
              List.of(
                  outcome.strictByDefault()
                      ? Match.destinationPorts(List.of(), ports)
                      : Match.destinationPorts(ports, List.of()))));
    }
    return new AuthorizationPolicy(
        NAME_PREFIX + outcome.key(),
        namespace,
        AuthorizationPolicy.Scope.WORKLOAD_SELECTOR,
        AuthorizationPolicy.Action.DENY,
        Map.of(LABEL, outcome.key()),
        List.of(new Rule(clauses)),
        false);
  }

  /** Parses one object; an invalid one is reported and comes back as STRICT on every port. */
  private static Parsed parse(GenericKubernetesResource pa, int index, List<String> problems) {
    String ns = pa.getMetadata().getNamespace();
    String name = pa.getMetadata().getName();
    String created =
        pa.getMetadata().getCreationTimestamp() == null
            ? ""
            : pa.getMetadata().getCreationTimestamp();
    String where = "peerAuthentications[" + index + "] (" + ns + "/" + name + "): field ";
    Object specValue = pa.getAdditionalProperties().get("spec");
    Map<?, ?> spec = specValue instanceof Map<?, ?> m ? m : Map.of();
    Map<String, String> selector = null;
    Mode mode = Mode.UNSET;
    Map<Integer, Mode> ports = new TreeMap<>();
    try {
      Object sel = spec.get("selector");
      if (sel != null) {
        Object labels = sel instanceof Map<?, ?> m ? m.get("matchLabels") : null;
        if (!(sel instanceof Map<?, ?>) || labels != null && !(labels instanceof Map<?, ?>)) {
          throw new Invalid("spec.selector.matchLabels", "must be a map of labels");
        }
        selector = new TreeMap<>();
        if (labels != null) {
          for (Map.Entry<?, ?> e : ((Map<?, ?>) labels).entrySet()) {
            selector.put(String.valueOf(e.getKey()), String.valueOf(e.getValue()));
          }
        }
      }
      mode = mode(spec.get("mtls"), "spec.mtls");
      Object portLevel = spec.get("portLevelMtls");
      if (portLevel != null) {
        if (!(portLevel instanceof Map<?, ?> byPort)) {
          throw new Invalid("spec.portLevelMtls", "must be a map of port to mtls");
        }
        if (selector == null || selector.isEmpty()) {
          throw new Invalid(
              "spec.portLevelMtls", "needs a workload selector (spec.selector.matchLabels)");
        }
        for (Map.Entry<?, ?> e : byPort.entrySet()) {
          String key = String.valueOf(e.getKey());
          int port;
          try {
            port = Integer.parseInt(key);
          } catch (NumberFormatException notNumber) {
            port = -1;
          }
          if (port < 1 || port > 65535) {
            throw new Invalid("spec.portLevelMtls[" + key + "]", "not a port number");
          }
          ports.put(port, mode(e.getValue(), "spec.portLevelMtls[" + key + "]"));
        }
      }
    } catch (Invalid e) {
      problems.add(where + e.field + ": " + e.getMessage() + "; enforced as STRICT");
      return new Parsed(ns, name, created, selector, Mode.STRICT, Map.of());
    }
    return new Parsed(ns, name, created, selector, mode, ports);
  }

  private static Mode mode(Object mtls, String field) throws Invalid {
    if (mtls == null) {
      return Mode.UNSET;
    }
    if (!(mtls instanceof Map<?, ?> m)) {
      throw new Invalid(field, "must be an object with a mode");
    }
    Object mode = m.get("mode");
    if (mode == null) {
      return Mode.UNSET;
    }
    try {
      return Mode.valueOf(String.valueOf(mode));
    } catch (IllegalArgumentException e) {
      throw new Invalid(
          field + ".mode", "must be UNSET, DISABLE, PERMISSIVE or STRICT, not " + mode);
    }
  }

  private static final class Invalid extends Exception {
    final String field;

    Invalid(String field, String message) {
      super(message, null, false, false);
      this.field = field;
    }
  }
}
