package dev.ambient.controller.waypoint;

import dev.ambient.api.model.MeshState;
import dev.ambient.controller.waypoint.authz.WaypointPolicies;
import dev.ambient.controller.waypoint.xds.WaypointConfigSink;
import dev.ambient.controller.waypoint.xds.WaypointResources;
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
 *
 * <p>Two modes: local (a {@link WaypointCertificates}: the controller makes the certificate and
 * sends it over ADS) and pod ({@link #forPods}: the waypoint pod's agent makes its own key and
 * certificate, so no secret is published and nothing is renewed here).
 */
public final class WaypointPublisher {
  private static final Logger LOG = LoggerFactory.getLogger(WaypointPublisher.class);

  /** Mesh snapshot and route tables to one waypoint's model. */
  @FunctionalInterface
  public interface Translation {
    /**
     * @throws IllegalArgumentException naming the problem when the snapshot does not translate
     */
    WaypointModel translate(
        MeshState state, Map<BackendRef, List<RouteRule>> routes, WaypointPolicies policies);
  }

  private final WaypointConfigSink xds;
  private final WaypointCertificates certificates;
  private final Translation translation;
  private final String name;
  private final Clock clock;
  private WaypointModel published;
  private WorkloadCertificate certificate;

  /** Local mode for a waypoint workload of the mesh. */
  public WaypointPublisher(
      WaypointConfigSink xds,
      WaypointCertificates certificates,
      ProtocolPolicy protocols,
      String waypointUid,
      Clock clock) {
    this(
        xds,
        certificates,
        waypointUid,
        (state, routes, policies) ->
            WaypointTranslator.translate(state, waypointUid, protocols, routes, policies),
        clock);
  }

  /**
   * @param certificates where certificates come from, or null in pod mode (the agent's own)
   * @param name what log lines call the waypoint
   * @param translation how a snapshot becomes this waypoint's model
   */
  public WaypointPublisher(
      WaypointConfigSink xds,
      WaypointCertificates certificates,
      String name,
      Translation translation,
      Clock clock) {
    this.xds = xds;
    this.certificates = certificates;
    this.translation = translation;
    this.name = name;
    this.clock = clock;
  }

  /** Pod mode for a waypoint workload: resources that take the certificate from the pod's agent. */
  public static WaypointPublisher forPods(
      WaypointConfigSink xds, ProtocolPolicy protocols, String waypointUid, Clock clock) {
    return new WaypointPublisher(xds, null, protocols, waypointUid, clock);
  }

  /** Pod mode with any translation (a waypoint Gateway's replicas). */
  public static WaypointPublisher forPods(
      WaypointConfigSink xds, String name, Translation translation, Clock clock) {
    return new WaypointPublisher(xds, null, name, translation, clock);
  }

  /** Applies a snapshot; returns the version served, or null when nothing was published. */
  public String apply(MeshState state) {
    return apply(state, Map.of(), WaypointPolicies.NONE);
  }

  /**
   * Applies a snapshot with the waypoint's AuthorizationPolicies; a policy change alone publishes a
   * new version too.
   */
  public String apply(MeshState state, WaypointPolicies policies) {
    return apply(state, Map.of(), policies);
  }

  /**
   * Applies a snapshot with the route tables of HTTPRoutes ({@link RouteTables}) and the waypoint's
   * AuthorizationPolicies; returns the version served, or null when nothing was published.
   */
  public synchronized String apply(
      MeshState state, Map<BackendRef, List<RouteRule>> routes, WaypointPolicies policies) {
    WaypointModel model;
    try {
      model = translation.translate(state, routes, policies);
    } catch (IllegalArgumentException e) {
      LOG.error(
          "waypoint {}: mesh version {} not applied: {}", name, state.version(), e.getMessage());
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
