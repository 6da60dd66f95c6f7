package dev.ambient.ztunnel.outbound;

import dev.ambient.ztunnel.metrics.ConnectionTracker;
import dev.ambient.ztunnel.relay.LiveRelays;
import dev.ambient.ztunnel.relay.RelaySession;
import io.netty.channel.Channel;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * An outbound connection whose upstream is established (TCP connected or HBONE answered 200) but
 * not yet relaying, so the front end (SOCKS5) can answer its client first.
 */
public final class OutboundConnection {
  private final Channel downstream;
  private final Channel upstream;
  private final Route route;
  private final ConnectionTracker tracker;
  private final LiveRelays relays;
  private final Runnable onEnd;
  private final AtomicBoolean used = new AtomicBoolean();

  OutboundConnection(
      Channel downstream,
      Channel upstream,
      Route route,
      ConnectionTracker tracker,
      LiveRelays relays,
      Runnable onEnd) {
    this.downstream = downstream;
    this.upstream = upstream;
    this.route = route;
    this.tracker = tracker;
    this.relays = relays;
    this.onEnd = onEnd;
  }

  public Route route() {
    return route;
  }

  public Channel upstream() {
    return upstream;
  }

  /** Starts copying bytes both ways; the relay owns both channels from now on. */
  public RelaySession relay() {
    if (!used.compareAndSet(false, true)) {
      throw new IllegalStateException("relay already started or aborted");
    }
    RelaySession s = relays.track(RelaySession.start(downstream, upstream, tracker));
    s.done().whenComplete((v, t) -> onEnd.run());
    return s;
  }

  /** Gives up before relaying: closes the upstream and reports the connection as failed. */
  public void abort(String reason) {
    if (used.compareAndSet(false, true)) {
      upstream.close();
      tracker.close("-", reason);
      onEnd.run();
    }
  }
}
