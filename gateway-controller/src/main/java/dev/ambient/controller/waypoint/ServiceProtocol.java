package dev.ambient.controller.waypoint;

/**
 * How a waypoint handles a service port: HTTP routing, plain TCP proxying, or, for a port that does
 * not declare its protocol, whichever the connection's first bytes show (HTTP/1.1 or h2c, else
 * TCP).
 */
public enum ServiceProtocol {
  HTTP,
  TCP,
  DETECT
}
