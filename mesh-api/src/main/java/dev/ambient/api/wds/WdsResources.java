package dev.ambient.api.wds;

import dev.ambient.api.security.v1.Authorization;
import dev.ambient.api.workload.v1.Address;
import java.util.List;

/**
 * Everything workload discovery serves for one mesh snapshot: the {@code istio.workload.Address}
 * resources (workloads, then services) and the {@code istio.security.Authorization} resources.
 */
public record WdsResources(List<Address> addresses, List<Authorization> authorizations) {
  public WdsResources {
    addresses = List.copyOf(addresses);
    authorizations = List.copyOf(authorizations);
  }
}
