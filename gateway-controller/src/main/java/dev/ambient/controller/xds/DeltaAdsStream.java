package dev.ambient.controller.xds;

import dev.ambient.api.wds.WorkloadProtos;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryResponse;
import io.envoyproxy.envoy.service.discovery.v3.Resource;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One delta ADS stream: per-type subscriptions, nonces, ACK/NACK and pushes.
 *
 * <p>A type's first request is answered at once with everything the client lacks (all resources, or
 * with {@code initial_resource_versions} only what differs), even if that is nothing, so the client
 * knows it is in sync. Afterwards a new snapshot pokes the stream; the push runs on the push
 * executor, reads the <em>latest</em> snapshot and sends only changed and removed resources. A push
 * sends policy additions before workloads and policy removals after them (and only once workloads
 * are subscribed), so a client that checks references never sees a workload naming a policy it does
 * not have; the answer to a first policy request likewise leaves removals to the push.
 *
 * <p>A NACK (a request carrying {@code error_detail}) is logged with the type, nonce and error; the
 * stream keeps serving, and the rejected version is not resent (see {@link TypeSubscription}).
 *
 * <p>Every method that touches the stream's state or writes to it holds the stream's lock, which
 * also keeps writes to the gRPC observer serial.
 */
final class DeltaAdsStream implements StreamObserver<DeltaDiscoveryRequest> {
  private static final Logger log = LoggerFactory.getLogger(DeltaAdsStream.class);

  private final String id;
  private final String node;
  private final ServerCallStreamObserver<DeltaDiscoveryResponse> out;
  private final WdsSnapshotHolder snapshots;
  private final Executor pushExecutor;
  private final AtomicBoolean pushScheduled = new AtomicBoolean();
  private final Map<String, TypeSubscription> subscriptions = new LinkedHashMap<>();
  private final Consumer<DeltaAdsStream> onClose;
  private AutoCloseable subscription;
  private long nonces;
  private boolean closed;
  private volatile boolean waitingForReady;

  DeltaAdsStream(
      String id,
      String node,
      ServerCallStreamObserver<DeltaDiscoveryResponse> out,
      WdsSnapshotHolder snapshots,
      Executor pushExecutor,
      Consumer<DeltaAdsStream> onClose) {
    this.onClose = onClose;
    this.id = id;
    this.node = node;
    this.out = out;
    this.snapshots = snapshots;
    this.pushExecutor = pushExecutor;
  }

  void open() {
    out.setOnCancelHandler(this::closeQuietly);
    // A push put off because the client was not reading resumes once it drains, and then sends
    // the latest snapshot rather than every one in between.
    out.setOnReadyHandler(
        () -> {
          if (waitingForReady) {
            schedulePush();
          }
        });
    subscription = snapshots.subscribe(this::schedulePush);
    log.info("WDS stream {} opened by node {}", id, node);
  }

  @Override
  public synchronized void onNext(DeltaDiscoveryRequest request) {
    if (closed) {
      return;
    }
    String type = request.getTypeUrl();
    if (!WdsSnapshot.TYPES.contains(type)) {
      log.warn(
          "WDS stream {} (node {}): ignoring request for unsupported type {}",
          id,
          node,
          printable(type));
      return;
    }
    TypeSubscription sub = subscriptions.get(type);
    String nonce = request.getResponseNonce();
    if (!nonce.isEmpty() && sub != null) {
      boolean latest = sub.answered(nonce);
      if (request.hasErrorDetail()) {
        log.warn(
            "WDS NACK from node {} (stream {}): type {} nonce {}{}: code {}: {}; keeping the"
                + " stream, the rejected version is not resent",
            node,
            id,
            type,
            printable(nonce),
            latest ? "" : " (not the latest)",
            request.getErrorDetail().getCode(),
            printable(request.getErrorDetail().getMessage()));
      } else {
        log.debug("WDS ACK from node {} (stream {}): type {} nonce {}", node, id, type, nonce);
      }
    }
    boolean first = sub == null;
    if (first) {
      sub = new TypeSubscription(type, request.getInitialResourceVersionsMap());
      subscriptions.put(type, sub);
    }
    sub.update(
        first, request.getResourceNamesSubscribeList(), request.getResourceNamesUnsubscribeList());
    if (first
        || request.getResourceNamesSubscribeCount() > 0
        || request.getResourceNamesUnsubscribeCount() > 0) {
      WdsSnapshot snapshot = snapshots.latest();
      TypeSubscription.Delta delta = sub.diff(snapshot.resources(type));
      if (first) {
        log.info(
            "WDS stream {} (node {}): subscribed to {} ({} resources known to the client), sending"
                + " {} and removing {}",
            id,
            node,
            type,
            request.getInitialResourceVersionsCount(),
            delta.upserts().size(),
            delta.removals().size());
      }
      // Policy removals wait for the push, which sends them after the workloads that stop
      // naming them; everything else the client lacks goes now.
      List<String> removals =
          WorkloadProtos.AUTHORIZATION_TYPE_URL.equals(type) ? List.of() : delta.removals();
      if (first || !delta.upserts().isEmpty() || !removals.isEmpty()) {
        send(sub, snapshot, delta.upserts(), removals);
      }
      if (removals.size() != delta.removals().size() || first) {
        schedulePush();
      }
    }
  }

  /** Pokes the stream: at most one push is queued, and it reads the latest snapshot. */
  private void schedulePush() {
    if (pushScheduled.compareAndSet(false, true)) {
      try {
        pushExecutor.execute(this::push);
      } catch (RejectedExecutionException e) {
        pushScheduled.set(false); // shutting down
      }
    }
  }

  private synchronized void push() {
    pushScheduled.set(false);
    if (closed) {
      return;
    }
    // The client is behind: buffer no more until it reads. The flag goes up before the check so
    // that a ready signal arriving in between still schedules the push.
    waitingForReady = true;
    if (!out.isReady()) {
      return;
    }
    waitingForReady = false;
    try {
      WdsSnapshot snapshot = snapshots.latest();
      Map<String, TypeSubscription.Delta> deltas = new LinkedHashMap<>();
      for (String type : WdsSnapshot.TYPES) {
        TypeSubscription sub = subscriptions.get(type);
        if (sub != null) {
          deltas.put(type, sub.diff(snapshot.resources(type)));
        }
      }
      // Policies first (without removals), then addresses, then policy removals.
      String policies = WorkloadProtos.AUTHORIZATION_TYPE_URL;
      TypeSubscription.Delta p = deltas.remove(policies);
      if (p != null && !p.upserts().isEmpty()) {
        send(subscriptions.get(policies), snapshot, p.upserts(), List.of());
      }
      for (Map.Entry<String, TypeSubscription.Delta> e : deltas.entrySet()) {
        if (!e.getValue().isEmpty()) {
          send(
              subscriptions.get(e.getKey()),
              snapshot,
              e.getValue().upserts(),
              e.getValue().removals());
        }
      }
      // Only once workloads are subscribed too, or a workload could still name a removed policy.
      if (p != null
          && !p.removals().isEmpty()
          && subscriptions.containsKey(WorkloadProtos.ADDRESS_TYPE_URL)) {
        send(subscriptions.get(policies), snapshot, List.of(), p.removals());
      }
    } catch (RuntimeException e) {
      log.error("WDS stream {} (node {}): push failed; closing the stream", id, node, e);
      closeWith(Status.INTERNAL.withDescription("push failed"));
    }
  }

  private void send(
      TypeSubscription sub,
      WdsSnapshot snapshot,
      List<WdsResource> upserts,
      List<String> removals) {
    String nonce = Long.toString(++nonces);
    DeltaDiscoveryResponse.Builder response =
        DeltaDiscoveryResponse.newBuilder()
            .setTypeUrl(sub.typeUrl)
            .setSystemVersionInfo(Long.toString(snapshot.version()))
            .setNonce(nonce)
            .addAllRemovedResources(removals);
    List<String> names = new ArrayList<>(upserts.size());
    for (WdsResource r : upserts) {
      response.addResources(
          Resource.newBuilder()
              .setName(r.name())
              .setVersion(r.version())
              .setResource(r.body())
              .build());
      names.add(r.name());
    }
    out.onNext(response.build());
    sub.sent(upserts, removals, nonce);
    log.debug(
        "WDS stream {} (node {}): sent {} nonce {} version {}: {} resources {}, removed {}",
        id,
        node,
        sub.typeUrl,
        nonce,
        snapshot.version(),
        upserts.size(),
        names,
        removals);
  }

  @Override
  public void onError(Throwable t) {
    Status s = Status.fromThrowable(t);
    if (s.getCode() == Status.Code.CANCELLED) {
      log.info("WDS stream {} (node {}) closed by the client", id, node);
    } else {
      log.info("WDS stream {} (node {}) failed: {}", id, node, s);
    }
    closeQuietly();
  }

  @Override
  public synchronized void onCompleted() {
    log.info("WDS stream {} (node {}) completed by the client", id, node);
    closeWith(Status.OK);
  }

  /** Ends the stream from the server side (shutdown). */
  void shutdown() {
    closeWith(Status.UNAVAILABLE.withDescription("controller shutting down"));
  }

  private synchronized void closeWith(Status status) {
    if (closed) {
      return;
    }
    closeQuietly();
    try {
      if (status.isOk()) {
        out.onCompleted();
      } else {
        out.onError(status.asRuntimeException());
      }
    } catch (RuntimeException e) {
      // The call is already gone.
    }
  }

  private synchronized void closeQuietly() {
    if (!closed) {
      onClose.accept(this);
    }
    closed = true;
    if (subscription != null) {
      try {
        subscription.close();
      } catch (Exception e) {
        // a list removal; cannot fail
      }
      subscription = null;
    }
  }

  /** Bounded, escaped rendering of client-supplied text for a log line. */
  static String printable(String value) {
    StringBuilder b = new StringBuilder("\"");
    int limit = Math.min(value.length(), 2000);
    for (int i = 0; i < limit; i++) {
      char c = value.charAt(i);
      if (c >= 0x20 && c != 0x7f && c != '"' && c != '\\') {
        b.append(c);
      } else {
        b.append(String.format("\\u%04x", (int) c));
      }
    }
    if (value.length() > limit) {
      b.append("...");
    }
    return b.append('"').toString();
  }
}
