package dev.ambient.ztunnel.relay;

import dev.ambient.ztunnel.metrics.ConnectionTracker;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.handler.codec.http2.Http2StreamChannel;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Copies bytes both ways between two connected channels (TCP or HTTP/2 stream) until both
 * directions have ended, then closes both and reports to the tracker exactly once.
 *
 * <p>Backpressure: both channels run with auto-read off; a side is asked for more only while the
 * other side is writable, so a fast sender is held back by the slow receiver's socket buffer or
 * HTTP/2 window instead of piling bytes up in memory. On HTTP/2 streams the window is only reopened
 * as frames are read, i.e. as the consumer drains.
 */
public final class RelaySession {
  private static final Logger LOG = LoggerFactory.getLogger(RelaySession.class);

  private final ConnectionTracker tracker;
  private final RelayEndpoint downstream;
  private final RelayEndpoint upstream;
  private final AtomicBoolean finished = new AtomicBoolean();
  private final CompletableFuture<Void> done = new CompletableFuture<>();

  private RelaySession(Channel down, Channel up, ConnectionTracker tracker) {
    this.tracker = tracker;
    this.downstream = endpointFor(down, true);
    this.upstream = endpointFor(up, false);
    downstream.peer = upstream;
    upstream.peer = downstream;
  }

  /**
   * Starts relaying. {@code downstream} is the client's side (its bytes count as sent), {@code
   * upstream} the destination's side. Both channels must be active; ownership of their lifetime
   * passes to the session.
   */
  public static RelaySession start(
      Channel downstream, Channel upstream, ConnectionTracker tracker) {
    RelaySession s = new RelaySession(downstream, upstream, tracker);
    s.downstream.install();
    s.upstream.install();
    return s;
  }

  /** Completes when both channels are closed and the tracker has been told. */
  public CompletableFuture<Void> done() {
    return done;
  }

  /** Aborts the relay, e.g. on shutdown past the drain deadline. */
  public void abort(String reason) {
    fail(reason);
  }

  private RelayEndpoint endpointFor(Channel ch, boolean isDownstream) {
    if (ch instanceof Http2StreamChannel) {
      return new H2StreamEndpoint(this, ch, isDownstream);
    }
    ch.config().setOption(ChannelOption.ALLOW_HALF_CLOSURE, true);
    return new TcpEndpoint(this, ch, isDownstream);
  }

  void countRead(RelayEndpoint from, int bytes) {
    if (from.isDownstream) {
      tracker.sent(bytes);
    } else {
      tracker.received(bytes);
    }
  }

  /** Both directions finished cleanly once both output shutdowns went out. */
  void directionFinished() {
    if (downstream.outputDone && upstream.outputDone) {
      finish("-", null);
    }
  }

  void fail(String reason) {
    finish("-", reason);
  }

  private void finish(String flags, String error) {
    if (!finished.compareAndSet(false, true)) {
      return;
    }
    if (error != null) {
      LOG.debug("relay ended: {}", error);
    }
    CompletableFuture<Void> a = closeOf(downstream.channel);
    CompletableFuture<Void> b = closeOf(upstream.channel);
    CompletableFuture.allOf(a, b)
        .whenComplete(
            (v, t) -> {
              try {
                tracker.close(flags, error);
              } finally {
                done.complete(null);
              }
            });
  }

  private static CompletableFuture<Void> closeOf(Channel ch) {
    CompletableFuture<Void> f = new CompletableFuture<>();
    ch.close().addListener(x -> f.complete(null));
    return f;
  }
}
