package dev.ambient.ztunnel.authz;

import dev.ambient.api.model.MeshState;
import dev.ambient.api.model.Workload;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Istio's L4 authorization as ztunnel applies it to a connection for a local workload.
 *
 * <p>Order: dry-run policies are evaluated and only logged; any matching DENY policy denies; with
 * no ALLOW policy selecting the workload the connection is allowed; a matching ALLOW policy allows;
 * otherwise it is denied. Identities are compared as exact strings in Istio's form, the SPIFFE ID
 * without {@code spiffe://}; the source namespace is the verified identity's, so a plaintext caller
 * has neither principal nor namespace.
 *
 * <p>It runs per connection, so the policies selecting a workload are compiled to arrays once per
 * state and workload and cached until a new state is passed in.
 */
public final class L4Authorizer implements Authorizer {
  private static final Logger log = LoggerFactory.getLogger(L4Authorizer.class);

  static final Decision NO_ALLOW_POLICY =
      Decision.allow("allowed: no ALLOW policy selects the workload");
  static final Decision NO_ALLOW_MATCH = Decision.deny("no ALLOW policy matched");

  private final AtomicReference<Cache> cache = new AtomicReference<>(new Cache(null));

  @Override
  public Decision check(MeshState state, Workload destination, ConnectionContext connection) {
    if (state == null || destination == null || connection == null) {
      return Decision.deny("denied: no state, destination or connection to authorize");
    }
    WorkloadPolicies policies = policiesFor(state, destination);
    Peer peer = Peer.of(connection);
    Decision decision = decide(policies.deny, policies.allow, peer);
    if (policies.dryRun.length > 0) {
      logDryRun(policies, peer, connection, destination, decision);
    }
    return decision;
  }

  private static Decision decide(CompiledPolicy[] deny, CompiledPolicy[] allow, Peer peer) {
    for (CompiledPolicy p : deny) {
      if (p.matches(peer)) {
        return p.decision;
      }
    }
    if (allow.length == 0) {
      return NO_ALLOW_POLICY;
    }
    for (CompiledPolicy p : allow) {
      if (p.matches(peer)) {
        return p.decision;
      }
    }
    return NO_ALLOW_MATCH;
  }

  private static void logDryRun(
      WorkloadPolicies policies,
      Peer peer,
      ConnectionContext connection,
      Workload destination,
      Decision enforced) {
    if (!log.isInfoEnabled()) {
      return;
    }
    String who = describe(connection, destination);
    for (CompiledPolicy p : policies.dryRun) {
      if (p.matches(peer)) {
        log.info(
            "dry-run policy {} ({}) matched {}", p.policy.resourceName(), p.policy.action(), who);
      }
    }
    Decision shadow = decide(policies.shadowDeny, policies.shadowAllow, peer);
    if (shadow.allowed() != enforced.allowed()) {
      log.info(
          "dry-run: {} would be {} ({}) if dry-run policies were enforced; enforced: {}",
          who,
          shadow.allowed() ? "allowed" : "denied",
          shadow.reason(),
          enforced.reason());
    }
  }

  private static String describe(ConnectionContext c, Workload destination) {
    return (c.sourcePrincipal() == null ? "plaintext" : c.sourcePrincipal().uri())
        + " from "
        + (c.sourceIp() == null ? "?" : c.sourceIp().getHostAddress())
        + " to "
        + destination.uid()
        + " "
        + (c.destinationIp() == null ? "?" : c.destinationIp().getHostAddress())
        + ":"
        + c.destinationPort();
  }

  private WorkloadPolicies policiesFor(MeshState state, Workload workload) {
    Cache c = cache.get();
    if (c.state != state) {
      // A new state: start a fresh cache (old entries die with the old snapshot).
      Cache fresh = new Cache(state);
      c = cache.compareAndSet(c, fresh) ? fresh : cache.get();
      if (c.state != state) {
        // Another thread installed a different state concurrently; compute without caching.
        return new WorkloadPolicies(workload, state.policiesFor(workload));
      }
    }
    WorkloadPolicies wp = c.byUid.get(workload.uid());
    if (wp != null && (wp.workload == workload || wp.workload.equals(workload))) {
      return wp;
    }
    wp = new WorkloadPolicies(workload, state.policiesFor(workload));
    c.byUid.put(workload.uid(), wp);
    return wp;
  }

  private static final class Cache {
    final MeshState state;
    final ConcurrentHashMap<String, WorkloadPolicies> byUid = new ConcurrentHashMap<>();

    Cache(MeshState state) {
      this.state = state;
    }
  }
}
