package dev.ambient.controller.waypoint;

import dev.ambient.api.model.MeshState;
import dev.ambient.controller.waypoint.xds.WaypointConfigSink;
import dev.ambient.controller.waypoint.xds.WaypointResources;
import dev.ambient.ztunnel.identity.WorkloadCertificate;
import java.time.Clock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps one waypoint's Envoy configuration following the mesh: each snapshot is translated and,
 * when the model changed (or the certificate needs renewal), published as a new version. A snapshot
 * that does not translate is logged naming the problem and the last configuration keeps serving.
 *
 * <p>Two modes: local (the constructor: the controller makes the certificate and sends it over ADS)
 * and pod ({@link #forPods}: the waypoint pod's agent makes its own key and certificate, so no
 * secret is published and nothing is renewed here).
 */
public final class WaypointPublisher {
  private static final Logger LOG = LoggerFactory.getLogger(WaypointPublisher.class);

  private final WaypointConfigSink xds;
  private final WaypointCertificates certificates;
  private final ProtocolPolicy protocols;
  private final String waypointUid;
  private final Clock clock;
  private WaypointModel published;
  private WorkloadCertificate certificate;

  public WaypointPublisher(
      WaypointConfigSink xds,
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

  /** Pod mode: resources that take the certificate from the pod's agent (no key here). */
  public static WaypointPublisher forPods(
      WaypointConfigSink xds, ProtocolPolicy protocols, String waypointUid, Clock clock) {
    return new WaypointPublisher(xds, null, protocols, waypointUid, clock);
  }

  /** Applies a snapshot; returns the version served, or null when nothing was published. */
  public synchronized String apply(MeshState state) {
    WaypointModel model;
    try {
      model = WaypointTranslator.translate(state, waypointUid, protocols);
    } catch (IllegalArgumentException e) {
      LOG.error(
          "waypoint {}: mesh version {} not applied: {}",
          waypointUid,
          state.version(),
          e.getMessage());
      return null;
    }
    boolean renew =
        certificates != null
            && (certificate == null
                || !certificate.identity().equals(model.identity())
                || !clock.instant().isBefore(certificate.refreshAt()));
    if (!renew && model.equals(published)) {
      return null;
    }
    if (renew) {
      certificate = certificates.issue(model.identity());
    }
    WaypointResources resources =
        certificates == null
            ? WaypointResources.forPod(model)
            : WaypointResources.of(model, certificate);
    String version = xds.publish(model.name(), resources);
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
