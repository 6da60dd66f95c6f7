package dev.ambient.controller.server;

import dev.ambient.controller.kube.KubeTranslator;
import dev.ambient.controller.local.LocalMeshSource;
import dev.ambient.controller.local.LocalStore;
import dev.ambient.controller.local.LocalWaypoints;
import dev.ambient.controller.xds.SnapshotSource;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;

/** {@code controller serve --store DIR}: the mesh from the local object store. */
final class LocalStoreMode {
  private LocalStoreMode() {}

  static SnapshotSource open(Path store, String trustDomain) throws IOException {
    KubeTranslator.Settings settings =
        new KubeTranslator.Settings(
            trustDomain,
            KubeTranslator.Settings.DEFAULT.rootNamespace(),
            KubeTranslator.Settings.DEFAULT.clusterId(),
            KubeTranslator.Settings.DEFAULT.clusterDomain());
    return LocalMeshSource.start(
        new LocalStore(store, new KubernetesSerialization()),
        settings,
        LocalWaypoints.disabled("local waypoint processes are not available in this build"),
        Duration.ofSeconds(1));
  }
}
