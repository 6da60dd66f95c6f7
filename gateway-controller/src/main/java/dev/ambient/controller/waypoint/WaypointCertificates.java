package dev.ambient.controller.waypoint;

import dev.ambient.api.spiffe.SpiffeId;
import dev.ambient.ztunnel.identity.WorkloadCertificate;

/** Where a waypoint's certificate (and private key) comes from. */
@FunctionalInterface
public interface WaypointCertificates {
  /** A fresh certificate for the identity, with its key and the mesh trust bundle. */
  WorkloadCertificate issue(SpiffeId identity);
}
