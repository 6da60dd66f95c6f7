package dev.ambient.api.model;

/** How traffic to a workload is carried: HBONE when it is in the mesh, plain TCP when not. */
public enum TunnelProtocol {
  /** Not captured: plain TCP (the YAML spelling is {@code TCP}). */
  NONE,
  /** HTTP/2 CONNECT over mutual TLS to the workload's address on port 15008. */
  HBONE
}
