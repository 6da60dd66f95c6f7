package dev.ambient.controller.kube;

import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeoutException;

/**
 * What the level-triggered controllers do with their informers: react to any event the same way
 * (schedule one coalesced pass over the caches, never look at the event), and wait for the caches
 * to fill before the first pass.
 */
public final class Informers {
  private Informers() {}

  /** A handler that runs {@code onChange} on every add, update and delete. */
  public static <T> ResourceEventHandler<T> onAnyChange(Runnable onChange) {
    return new ResourceEventHandler<>() {
      @Override
      public void onAdd(T obj) {
        onChange.run();
      }

      @Override
      public void onUpdate(T oldObj, T newObj) {
        onChange.run();
      }

      @Override
      public void onDelete(T obj, boolean deletedFinalStateUnknown) {
        onChange.run();
      }
    };
  }

  /**
   * Waits until every informer has synced.
   *
   * @param what names the informers in the timeout's message
   * @throws TimeoutException when they have not within {@code timeout}
   */
  public static void awaitSynced(
      List<? extends SharedIndexInformer<?>> informers, Duration timeout, String what)
      throws TimeoutException, InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    for (SharedIndexInformer<?> informer : informers) {
      while (!informer.hasSynced()) {
        if (System.nanoTime() > deadline) {
          throw new TimeoutException(
              what + " did not sync within " + timeout + " (is the API server reachable?)");
        }
        Thread.sleep(20);
      }
    }
  }
}
