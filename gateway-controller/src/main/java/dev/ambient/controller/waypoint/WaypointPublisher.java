package dev.ambient.controller.waypoint;

import dev.ambient.api.model.MeshState;
import dev.ambient.controller.waypoint.xds.WaypointResources;
import dev.ambient.controller.waypoint.xds.WaypointXdsServer;
import dev.ambient.ztunnel.identity.WorkloadCertificate;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps one waypoint's Envoy configuration following the mesh: each snapshot is translated and,
 * when the model changed (or the certificate needs renewal), published as a new version. A snapshot
 * that does not translate is logged naming the problem and the last configuration keeps serving.
 */
public final class WaypointPublisher {
  private static final Logger LOG = LoggerFactory.getLogger(WaypointPublisher.class);

  /** Mesh snapshot and route tables to one waypoint's model. */
  @FunctionalInterface
  public interface Translation {
    /**
     * @throws IllegalArgumentException naming the problem when the snapshot does not translate
     */
    WaypointModel translate(MeshState state, Map<BackendRef, List<RouteRule>> routes);
  }

  private final WaypointXdsServer xds;
  private final WaypointCertificates certificates;
  private final Translation translation;
  private final String waypointUid;
  private final Clock clock;
  private WaypointModel published;
  private WorkloadCertificate certificate;

  public WaypointPublisher(
      WaypointXdsServer xds,
      WaypointCertificates certificates,
      ProtocolPolicy protocols,
      String waypointUid,
      Clock clock) {
    this(
        xds,
        certificates,
        waypointUid,
        (state, routes) -> WaypointTranslator.translate(state, waypointUid, protocols, routes),
        clock);
  }

  /**
   * @param name what log lines call the waypoint
   * @param translation how a snapshot becomes this waypoint's model
   */
  public WaypointPublisher(
      WaypointXdsServer xds,
      WaypointCertificates certificates,
      String name,
      Translation translation,
      Clock clock) {
    this.xds = xds;
    this.certificates = certificates;
    this.translation = translation;
    this.waypointUid = name;
    this.clock = clock;
  }

  /** Applies a snapshot; returns the version served, or null when nothing was published. */
  public String apply(MeshState state) {
    return apply(state, Map.of());
  }

  /**
   * Applies a snapshot with the route tables of HTTPRoutes ({@link RouteTables}); returns the
   * version served, or null when nothing was published.
   */
  public synchronized String apply(MeshState state, Map<BackendRef, List<RouteRule>> routes) {
    WaypointModel model;
    try {
      model = translation.translate(state, routes);
    } catch (IllegalArgumentException e) {
      LOG.error(
          "waypoint {}: mesh version {} not applied: {}",
          waypointUid,
          state.version(),
          e.getMessage());
      return null;
    }
    boolean renew =
        certificate == null
            || !certificate.identity().equals(model.identity())
            || !clock.instant().isBefore(certificate.refreshAt());
    if (!renew && model.equals(published)) {
      return null;
    }
    if (renew) {
      certificate = certificates.issue(model.identity());
    }
    String version = xds.publish(model.name(), WaypointResources.of(model, certificate));
    published = model;
    LOG.info(
        "waypoint {}: mesh version {} published as {} ({} listeners, {} backends)",
        model.name(),
        state.version(),
        version,
        model.listeners().size(),
        model.backends().size());
    return version;
  }
}
