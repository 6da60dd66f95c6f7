package dev.ambient.controller.waypoint.authz;

import java.util.List;

/**
 * One {@code to[].operation} entry; every non-empty field must hold. Hosts match the request's
 * authority (case-insensitive, with or without a port), methods the HTTP method, paths the
 * normalized path without query; all take Istio's patterns ({@code x*}, {@code *x}, {@code *}).
 * Ports are the service port the client addressed.
 */
public record L7Operation(
    List<String> hosts,
    List<String> notHosts,
    List<Integer> ports,
    List<Integer> notPorts,
    List<String> methods,
    List<String> notMethods,
    List<String> paths,
    List<String> notPaths) {
  public L7Operation {
    hosts = List.copyOf(hosts);
    notHosts = List.copyOf(notHosts);
    ports = List.copyOf(ports);
    notPorts = List.copyOf(notPorts);
    methods = List.copyOf(methods);
    notMethods = List.copyOf(notMethods);
    paths = List.copyOf(paths);
    notPaths = List.copyOf(notPaths);
  }

  /** Whether the entry uses HTTP fields a TCP listener cannot see. */
  public boolean hasL7Fields() {
    return !hosts.isEmpty()
        || !notHosts.isEmpty()
        || !methods.isEmpty()
        || !notMethods.isEmpty()
        || !paths.isEmpty()
        || !notPaths.isEmpty();
  }
}
