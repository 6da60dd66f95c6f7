package dev.ambient.ztunnel.state;

import dev.ambient.api.model.MeshState;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

/**
 * The current mesh state as the data path sees it. Readers take one immutable snapshot per
 * connection; writers replace it whole, so no connection ever sees half an update.
 */
public final class StateHolder {
  private final AtomicReference<MeshState> current;
  private final List<Consumer<MeshState>> listeners = new CopyOnWriteArrayList<>();

  public StateHolder(MeshState initial) {
    this.current = new AtomicReference<>(initial);
  }

  public MeshState current() {
    return current.get();
  }

  /** Replaces the state and tells listeners (on the caller's thread). */
  public void apply(MeshState next) {
    current.set(next);
    for (Consumer<MeshState> l : listeners) {
      l.accept(next);
    }
  }

  public void onChange(Consumer<MeshState> listener) {
    listeners.add(listener);
  }
}
