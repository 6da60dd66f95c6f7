package dev.ambient.ztunnel.testing;

import dev.ambient.ztunnel.metrics.ConnectionLabels;
import dev.ambient.ztunnel.metrics.ConnectionTracker;
import dev.ambient.ztunnel.metrics.TcpMetrics;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/** Records every connection with its labels, byte counts and how it ended. */
public final class RecordingTcpMetrics implements TcpMetrics {
  public final List<Recorded> connections = new CopyOnWriteArrayList<>();

  @Override
  public ConnectionTracker open(ConnectionLabels labels) {
    Recorded r = new Recorded(labels);
    connections.add(r);
    return r;
  }

  public List<Recorded> closed() {
    return connections.stream().filter(r -> r.closeCount.get() > 0).toList();
  }

  /** One recorded connection. */
  public static final class Recorded implements ConnectionTracker {
    public final ConnectionLabels labels;
    public final AtomicLong sent = new AtomicLong();
    public final AtomicLong received = new AtomicLong();
    public final AtomicInteger closeCount = new AtomicInteger();
    public volatile String flags;
    public volatile String error;

    Recorded(ConnectionLabels labels) {
      this.labels = labels;
    }

    @Override
    public void sent(long bytes) {
      sent.addAndGet(bytes);
    }

    @Override
    public void received(long bytes) {
      received.addAndGet(bytes);
    }

    @Override
    public void close(String responseFlags, String error) {
      this.flags = responseFlags;
      this.error = error;
      closeCount.incrementAndGet();
    }

    @Override
    public String toString() {
      return "Recorded{"
          + labels.direction()
          + " "
          + labels.sourcePrincipal()
          + " -> "
          + labels.destinationAddress()
          + ", sent="
          + sent
          + ", received="
          + received
          + ", flags="
          + flags
          + ", error="
          + error
          + ", closes="
          + closeCount
          + "}";
    }
  }
}
