package dev.ambient.controller.waypoint;

import dev.ambient.api.model.MeshState;
import dev.ambient.controller.waypoint.authz.WaypointPolicies;
import dev.ambient.controller.waypoint.xds.WaypointResources;
import dev.ambient.controller.waypoint.xds.WaypointXdsServer;
import dev.ambient.ztunnel.identity.WorkloadCertificate;
import java.time.Clock;
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

  private final WaypointXdsServer xds;
  private final WaypointCertificates certificates;
  private final ProtocolPolicy protocols;
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
    this.xds = xds;
    this.certificates = certificates;
    this.protocols = protocols;
    this.waypointUid = waypointUid;
    this.clock = clock;
  }

  /** Applies a snapshot; returns the version served, or null when nothing was published. */
  public synchronized String apply(MeshState state) {
    return apply(state, WaypointPolicies.NONE);
  }

  /**
   * Applies a snapshot with the waypoint's AuthorizationPolicies; a policy change alone publishes a
   * new version too.
   */
  public synchronized String apply(MeshState state, WaypointPolicies policies) {
    WaypointModel model;
    try {
      model = WaypointTranslator.translate(state, waypointUid, protocols, Map.of(), policies);
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
