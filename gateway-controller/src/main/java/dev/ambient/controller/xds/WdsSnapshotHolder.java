package dev.ambient.controller.xds;

import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The latest snapshot the discovery server serves. Publishing only replaces it and pokes the
 * subscribers: each connection then reads the latest snapshot when it gets round to pushing, so a
 * burst of publications costs a connection at most one push (level-triggered, not a queue).
 */
public final class WdsSnapshotHolder {
  private final AtomicReference<WdsSnapshot> latest;
  private final List<Runnable> subscribers = new CopyOnWriteArrayList<>();

  public WdsSnapshotHolder() {
    this(WdsSnapshot.EMPTY);
  }

  public WdsSnapshotHolder(WdsSnapshot initial) {
    this.latest = new AtomicReference<>(Objects.requireNonNull(initial, "initial"));
  }

  public WdsSnapshot latest() {
    return latest.get();
  }

  /** Replaces the snapshot; subscribers are poked unless nothing changed. */
  public void publish(WdsSnapshot next) {
    WdsSnapshot previous = latest.getAndSet(Objects.requireNonNull(next, "next"));
    if (previous.sameContent(next)) {
      return;
    }
    for (Runnable s : subscribers) {
      s.run();
    }
  }

  /** Registers a subscriber (which must not block); the returned handle removes it. */
  public AutoCloseable subscribe(Runnable subscriber) {
    subscribers.add(subscriber);
    return () -> subscribers.remove(subscriber);
  }
}
