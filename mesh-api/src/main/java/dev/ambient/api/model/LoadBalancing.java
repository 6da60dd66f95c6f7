package dev.ambient.api.model;

/** How a connection to a service VIP picks one of the service's endpoints. */
public enum LoadBalancing {
  ROUND_ROBIN,
  LEAST_REQUESTS
}
