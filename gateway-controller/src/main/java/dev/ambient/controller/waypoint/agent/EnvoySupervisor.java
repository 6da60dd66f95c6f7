package dev.ambient.controller.waypoint.agent;

import dev.ambient.controller.waypoint.process.WaypointProcess;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the pod's Envoy running: starts it with a freshly written bootstrap (so a restarted Envoy
 * presents the token as it is now, the kubelet having refreshed the projected file), and when it
 * exits on its own starts it again after a back-off (1 s, doubling to 30 s, reset once an Envoy ran
 * for a minute). One plain thread waits on the process; {@link #close} stops Envoy (SIGTERM, then
 * SIGKILL) and the thread.
 */
final class EnvoySupervisor implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(EnvoySupervisor.class);
  private static final Duration FIRST_BACKOFF = Duration.ofSeconds(1);
  private static final Duration MAX_BACKOFF = Duration.ofSeconds(30);
  private static final Duration HEALTHY_RUN = Duration.ofMinutes(1);
  private static final Duration ADMIN_WAIT = Duration.ofSeconds(30);

  /** What starts one Envoy (the agent writes the bootstrap and runs it). */
  @FunctionalInterface
  interface Starter {
    WaypointProcess start() throws IOException;
  }

  private final Starter starter;
  private final String nodeId;
  private final Thread thread;
  private volatile WaypointProcess current;
  private volatile InetSocketAddress admin;
  private volatile boolean closed;
  private volatile int starts;

  EnvoySupervisor(String nodeId, Starter starter) {
    this.nodeId = nodeId;
    this.starter = starter;
    this.thread = new Thread(this::run, "envoy-supervisor");
    this.thread.setDaemon(true);
  }

  void start() {
    thread.start();
  }

  /** The running Envoy, or null between runs. */
  WaypointProcess current() {
    return current;
  }

  /** How many times Envoy was started (restarts included). */
  int starts() {
    return starts;
  }

  /** Envoy's admin address, or null while none is running or it has not reported one yet. */
  InetSocketAddress adminAddress() {
    WaypointProcess p = current;
    return p == null || !p.isAlive() ? null : admin;
  }

  private void run() {
    Duration backoff = FIRST_BACKOFF;
    while (!closed) {
      long began = System.nanoTime();
      try {
        WaypointProcess p = starter.start();
        synchronized (this) {
          current = p;
          starts++;
          if (closed) {
            p.close();
            return;
          }
        }
        try {
          admin = p.adminAddress(ADMIN_WAIT);
        } catch (IOException e) {
          LOG.warn("waypoint {}: {}", nodeId, e.getMessage());
        }
        int code = p.waitFor();
        current = null;
        admin = null;
        if (closed) {
          return;
        }
        LOG.error(
            "waypoint {}: Envoy (pid {}) exited with {}; restarting (log {})",
            nodeId,
            p.pid(),
            code,
            p.log());
      } catch (IOException e) {
        LOG.error("waypoint {}: Envoy could not be started: {}", nodeId, e.getMessage());
      } catch (InterruptedException e) {
        return; // close() interrupts a waiting supervisor
      }
      if (Duration.ofNanos(System.nanoTime() - began).compareTo(HEALTHY_RUN) >= 0) {
        backoff = FIRST_BACKOFF;
      }
      try {
        Thread.sleep(backoff.toMillis());
      } catch (InterruptedException e) {
        return;
      }
      Duration doubled = backoff.multipliedBy(2);
      backoff = doubled.compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : doubled;
    }
  }

  @Override
  public void close() {
    WaypointProcess p;
    synchronized (this) {
      closed = true;
      p = current;
    }
    if (p != null) {
      p.close(); // SIGTERM, SIGKILL after the grace period
    }
    thread.interrupt();
    try {
      thread.join(10_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
