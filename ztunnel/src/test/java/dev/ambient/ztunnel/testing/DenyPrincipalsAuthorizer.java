package dev.ambient.ztunnel.testing;

import dev.ambient.api.model.MeshState;
import dev.ambient.api.model.Workload;
import dev.ambient.api.spiffe.SpiffeId;
import dev.ambient.ztunnel.authz.Authorizer;
import dev.ambient.ztunnel.authz.ConnectionContext;
import dev.ambient.ztunnel.authz.Decision;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Allows everyone except the listed principals, and remembers every check it made. When {@link
 * #then} is set, a connection it does not deny is decided by that authorizer (a test that needs the
 * real L4 policy sets an {@code L4Authorizer} there).
 */
public final class DenyPrincipalsAuthorizer implements Authorizer {
  public final Set<SpiffeId> denied = ConcurrentHashMap.newKeySet();
  public final List<ConnectionContext> checks = new CopyOnWriteArrayList<>();
  public volatile Authorizer then;

  @Override
  public Decision check(MeshState state, Workload destination, ConnectionContext connection) {
    checks.add(connection);
    if (connection.sourcePrincipal() != null && denied.contains(connection.sourcePrincipal())) {
      return Decision.deny("denied by test policy for " + connection.sourcePrincipal());
    }
    Authorizer next = then;
    return next == null
        ? Decision.allow("allowed by test policy")
        : next.check(state, destination, connection);
  }
}
