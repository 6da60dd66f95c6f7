package dev.ambient.controller.kube;

import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The passes of a level-triggered controller: they run one at a time on a daemon thread of their
 * own, and a request made while a pass is waiting to run folds into it, so a burst of informer
 * events costs one pass. A request made during a pass schedules the next one: no change is missed.
 */
public final class CoalescedPass implements AutoCloseable {
  private final ScheduledExecutorService thread;
  private final Runnable pass;
  private boolean pending;

  public CoalescedPass(String threadName, Runnable pass) {
    this.pass = pass;
    this.thread =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, threadName);
              t.setDaemon(true);
              return t;
            });
  }

  /** Runs the pass after {@code delay} unless one is already waiting; nothing once closed. */
  public void schedule(Duration delay) {
    synchronized (this) {
      if (pending) {
        return;
      }
      pending = true;
    }
    try {
      thread.schedule(this::run, delay.toMillis(), TimeUnit.MILLISECONDS);
    } catch (RejectedExecutionException closed) {
      // closing
    }
  }

  /** Runs a pass on the thread now and waits for it (a first pass whose failure matters). */
  public void runAndWait() throws InterruptedException, ExecutionException {
    thread.submit(this::run).get();
  }

  private void run() {
    synchronized (this) {
      pending = false;
    }
    pass.run();
  }

  /** Stops the thread; a pass under way is interrupted and no other runs. */
  @Override
  public void close() {
    thread.shutdownNow();
  }
}
