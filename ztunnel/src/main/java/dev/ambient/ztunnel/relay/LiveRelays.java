package dev.ambient.ztunnel.relay;

import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/** The relays currently running, so that a drain can wait for them or cut them off. */
public final class LiveRelays {
  private final Set<RelaySession> live = ConcurrentHashMap.newKeySet();

  public RelaySession track(RelaySession session) {
    live.add(session);
    session.done().whenComplete((v, t) -> live.remove(session));
    return session;
  }

  public int count() {
    return live.size();
  }

  /** Completes when every relay live now has ended. */
  public CompletableFuture<Void> awaitAll() {
    return CompletableFuture.allOf(
        live.stream().map(RelaySession::done).toArray(CompletableFuture[]::new));
  }

  public void abortAll(String reason) {
    for (RelaySession s : live) {
      s.abort(reason);
    }
  }
}
