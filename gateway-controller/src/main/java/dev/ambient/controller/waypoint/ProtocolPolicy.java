package dev.ambient.controller.waypoint;

import dev.ambient.api.model.Service;
import dev.ambient.api.model.ServicePort;

/**
 * Decides whether a service port is HTTP or TCP in the waypoint. The mesh model has no {@code
 * appProtocol} yet, so the caller says; {@link #ALL_HTTP} is the default (Istio's waypoint sniffs
 * instead; see the README's "what is missing").
 */
@FunctionalInterface
public interface ProtocolPolicy {
  ProtocolPolicy ALL_HTTP = (service, port) -> ServiceProtocol.HTTP;

  ServiceProtocol protocol(Service service, ServicePort port);
}
