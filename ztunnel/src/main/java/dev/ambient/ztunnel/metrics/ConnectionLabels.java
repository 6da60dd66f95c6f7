package dev.ambient.ztunnel.metrics;

import dev.ambient.api.model.Service;
import dev.ambient.api.model.Workload;
import dev.ambient.api.spiffe.SpiffeId;
import java.net.InetSocketAddress;

/**
 * Who a proxied connection is between, for metrics and the access log. Any party ztunnel does not
 * know is {@code null} and reported as {@code "unknown"}.
 *
 * @param reporter {@code "source"} on the outbound side, {@code "destination"} on the inbound side
 * @param direction {@code "outbound"} or {@code "inbound"}
 * @param hboneAddress where the tunnel went (outbound) or came in, or {@code null} for plain TCP
 */
public record ConnectionLabels(
    String reporter,
    String direction,
    Workload source,
    SpiffeId sourcePrincipal,
    Workload destination,
    SpiffeId destinationPrincipal,
    Service destinationService,
    boolean mutualTls,
    InetSocketAddress sourceAddress,
    InetSocketAddress destinationAddress,
    InetSocketAddress hboneAddress) {

  public static final String SOURCE = "source";
  public static final String DESTINATION = "destination";
}
