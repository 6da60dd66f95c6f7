package dev.ambient.ztunnel.inbound;

import dev.ambient.api.model.MeshState;
import dev.ambient.api.model.Workload;
import dev.ambient.api.spiffe.SpiffeId;
import dev.ambient.ztunnel.authz.Authorizer;
import dev.ambient.ztunnel.authz.ConnectionContext;
import dev.ambient.ztunnel.authz.Decision;
import dev.ambient.ztunnel.metrics.ConnectionLabels;
import dev.ambient.ztunnel.metrics.ConnectionTracker;
import dev.ambient.ztunnel.metrics.TcpMetrics;
import dev.ambient.ztunnel.relay.NetTransport;
import dev.ambient.ztunnel.relay.SocketFactory;
import dev.ambient.ztunnel.state.StateHolder;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import java.net.InetSocketAddress;
import java.util.function.Function;

/**
 * The part of the inbound path that HBONE and plaintext share: the destination must be a workload
 * on this node, L4 policy must allow the caller, then a plain TCP connection goes to the
 * destination. One state snapshot is used for the whole decision.
 */
public final class InboundDispatcher {
  public static final int CONNECT_TIMEOUT_MILLIS = 10_000;

  private final StateHolder state;
  private final String nodeName;
  private final Authorizer authorizer;
  private final TcpMetrics metrics;
  private final Function<Workload, SocketFactory> upstreamSockets;

  public InboundDispatcher(
      StateHolder state,
      String nodeName,
      Authorizer authorizer,
      TcpMetrics metrics,
      NetTransport transport) {
    this(state, nodeName, authorizer, metrics, sameForAll(SocketFactory.host(transport)));
  }

  /**
   * @param upstreamSockets where the connection to a destination workload is made: ztunnel's own
   *     namespace, or (in-pod mode) inside the destination pod, marked so its rules let it pass
   */
  public InboundDispatcher(
      StateHolder state,
      String nodeName,
      Authorizer authorizer,
      TcpMetrics metrics,
      Function<Workload, SocketFactory> upstreamSockets) {
    this.state = state;
    this.nodeName = nodeName;
    this.authorizer = authorizer;
    this.metrics = metrics;
    this.upstreamSockets = upstreamSockets;
  }

  private static Function<Workload, SocketFactory> sameForAll(SocketFactory sockets) {
    return w -> sockets;
  }

  public String nodeName() {
    return nodeName;
  }

  public StateHolder stateHolder() {
    return state;
  }

  /** Why a connection was not admitted; {@code status} is the HBONE answer (400 or 401). */
  public sealed interface Admission {
    record Admitted(Workload destination, ConnectionTracker tracker) implements Admission {}

    record Rejected(int status, String reason) implements Admission {}
  }

  /**
   * Checks one inbound connection. On {@code Admitted} the caller owns the tracker and must close
   * it; on {@code Rejected} a tracker opened for a denial has already been closed with "DENY".
   *
   * @param peer the verified client identity, or {@code null} for plaintext
   * @param listenerWorkload the workload whose HBONE listener took the connection, or {@code null}
   */
  public Admission admit(
      InetSocketAddress destination,
      SpiffeId peer,
      InetSocketAddress source,
      InetSocketAddress hboneAddress,
      Workload listenerWorkload) {
    MeshState snapshot = state.current();
    Workload dst = snapshot.workloadByAddress(destination.getAddress());
    if (dst == null) {
      return new Admission.Rejected(
          400, "destination " + destination.getAddress().getHostAddress() + " is not a workload");
    }
    if (!dst.node().equals(nodeName)) {
      return new Admission.Rejected(
          400, "destination workload " + dst.uid() + " runs on node " + dst.node() + ", not here");
    }
    if (listenerWorkload != null && !listenerWorkload.uid().equals(dst.uid())) {
      return new Admission.Rejected(
          400,
          "destination workload "
              + dst.uid()
              + " is not the listener's workload "
              + listenerWorkload.uid());
    }
    Workload src = source == null ? null : snapshot.workloadByAddress(source.getAddress());
    ConnectionLabels labels =
        new ConnectionLabels(
            ConnectionLabels.DESTINATION,
            "inbound",
            src,
            peer,
            dst,
            dst.identity(),
            null,
            peer != null,
            source,
            destination,
            hboneAddress);
    ConnectionTracker tracker = metrics.open(labels);
    Decision decision;
    try {
      decision =
          authorizer.check(
              snapshot,
              dst,
              new ConnectionContext(
                  peer,
                  source == null ? null : source.getAddress(),
                  destination.getAddress(),
                  destination.getPort()));
    } catch (RuntimeException e) {
      // Fail closed: a broken policy evaluation denies.
      decision = Decision.deny("authorization failed: " + e);
    }
    if (decision == null || !decision.allowed()) {
      String reason = decision == null ? "authorizer gave no decision" : decision.reason();
      tracker.close("DENY", reason);
      return new Admission.Rejected(401, reason);
    }
    return new Admission.Admitted(dst, tracker);
  }

  /**
   * Opens the plain TCP connection to an admitted destination workload on the given loop, auto-read
   * off.
   */
  public ChannelFuture connectUpstream(
      EventLoop loop, Workload destinationWorkload, InetSocketAddress destination) {
    return new Bootstrap()
        .group(loop)
        .channelFactory(upstreamSockets.apply(destinationWorkload).clients())
        .option(ChannelOption.AUTO_READ, false)
        .option(ChannelOption.ALLOW_HALF_CLOSURE, true)
        .option(ChannelOption.TCP_NODELAY, true)
        .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, CONNECT_TIMEOUT_MILLIS)
        .handler(new ChannelInboundHandlerAdapter())
        .connect(destination);
  }
}
