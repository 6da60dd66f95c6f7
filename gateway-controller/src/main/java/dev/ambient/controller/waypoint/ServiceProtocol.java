package dev.ambient.controller.waypoint;

/** How a waypoint handles a service port: HTTP routing, or plain TCP proxying. */
public enum ServiceProtocol {
  HTTP,
  TCP
}
