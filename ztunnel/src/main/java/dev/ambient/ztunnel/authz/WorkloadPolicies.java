package dev.ambient.ztunnel.authz;

import dev.ambient.api.authz.AuthorizationPolicy;
import dev.ambient.api.authz.AuthorizationPolicy.Action;
import dev.ambient.api.model.Workload;
import java.util.ArrayList;
import java.util.List;

/** The compiled policies selecting one workload, split by what they do. */
final class WorkloadPolicies {
  final Workload workload;
  final CompiledPolicy[] deny;
  final CompiledPolicy[] allow;
  final CompiledPolicy[] dryRun;

  /** What deny/allow would be if the dry-run policies were enforced too. */
  final CompiledPolicy[] shadowDeny;

  final CompiledPolicy[] shadowAllow;

  WorkloadPolicies(Workload workload, List<AuthorizationPolicy> selecting) {
    this.workload = workload;
    List<CompiledPolicy> d = new ArrayList<>();
    List<CompiledPolicy> a = new ArrayList<>();
    List<CompiledPolicy> dry = new ArrayList<>();
    for (AuthorizationPolicy p : selecting) {
      CompiledPolicy c = new CompiledPolicy(p);
      if (p.dryRun()) {
        dry.add(c);
      } else if (p.action() == Action.DENY) {
        d.add(c);
      } else {
        a.add(c);
      }
    }
    deny = d.toArray(CompiledPolicy[]::new);
    allow = a.toArray(CompiledPolicy[]::new);
    dryRun = dry.toArray(CompiledPolicy[]::new);
    for (CompiledPolicy c : dry) {
      (c.policy.action() == Action.DENY ? d : a).add(c);
    }
    shadowDeny = d.toArray(CompiledPolicy[]::new);
    shadowAllow = a.toArray(CompiledPolicy[]::new);
  }
}
