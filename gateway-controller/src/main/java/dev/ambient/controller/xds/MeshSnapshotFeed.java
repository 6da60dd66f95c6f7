package dev.ambient.controller.xds;

import dev.ambient.api.model.MeshState;
import dev.ambient.api.wds.WorkloadProtos;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Translates every snapshot of a source into WDS resources and publishes them. Translation is a
 * pure function of the snapshot; if it ever failed, the previous resources keep serving.
 */
public final class MeshSnapshotFeed {
  private static final Logger log = LoggerFactory.getLogger(MeshSnapshotFeed.class);

  private MeshSnapshotFeed() {}

  /** Publishes the source's current snapshot now and every later one as it arrives. */
  public static void connect(SnapshotSource source, WdsSnapshotHolder holder) {
    source.onChange(state -> publish(state, holder));
    publish(source.current(), holder);
  }

  static synchronized void publish(MeshState state, WdsSnapshotHolder holder) {
    if (state.version() < holder.latest().version()) {
      return; // an older snapshot delivered late; the newer one is already served
    }
    try {
      holder.publish(WdsSnapshot.of(state.version(), WorkloadProtos.toProtos(state)));
      log.info(
          "WDS snapshot version {}: {} workloads, {} services, {} policies",
          state.version(),
          state.workloads().size(),
          state.services().size(),
          state.policies().size());
    } catch (RuntimeException e) {
      log.error(
          "WDS snapshot version {} not published, the previous one keeps serving",
          state.version(),
          e);
    }
  }
}
