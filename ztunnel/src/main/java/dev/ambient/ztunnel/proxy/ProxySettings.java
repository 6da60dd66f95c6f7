package dev.ambient.ztunnel.proxy;

import dev.ambient.ztunnel.hbone.HbonePoolSettings;
import dev.ambient.ztunnel.inbound.OriginalDestination;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Objects;

/**
 * Where and how the data-path listeners bind.
 *
 * @param nodeName this ztunnel's node; only its workloads get listeners
 * @param hbonePort the HBONE port, on every local workload address and on remote ones (15008)
 * @param socksAddress the SOCKS5 listener, or {@code null} for none
 * @param inboundPlaintextAddress the inbound plaintext listener, or {@code null} for none
 * @param inboundOriginalDestination how the inbound plaintext listener learns the destination
 * @param inPod in-pod mode: local workloads are served from listeners inside their own network
 *     namespaces (opened when the CNI step hands a pod over), so no per-workload HBONE listener is
 *     opened in ztunnel's namespace
 */
public record ProxySettings(
    String nodeName,
    int hbonePort,
    InetSocketAddress socksAddress,
    InetSocketAddress inboundPlaintextAddress,
    OriginalDestination inboundOriginalDestination,
    Duration socksHandshakeTimeout,
    HbonePoolSettings pool,
    boolean inPod) {

  public static final int HBONE_PORT = 15008;
  public static final int SOCKS_PORT = 15080;
  public static final int INBOUND_PLAINTEXT_PORT = 15006;

  /** Explicit mode (no in-pod capture). */
  public ProxySettings(
      String nodeName,
      int hbonePort,
      InetSocketAddress socksAddress,
      InetSocketAddress inboundPlaintextAddress,
      OriginalDestination inboundOriginalDestination,
      Duration socksHandshakeTimeout,
      HbonePoolSettings pool) {
    this(
        nodeName,
        hbonePort,
        socksAddress,
        inboundPlaintextAddress,
        inboundOriginalDestination,
        socksHandshakeTimeout,
        pool,
        false);
  }

  public ProxySettings {
    Objects.requireNonNull(nodeName, "nodeName");
    if (hbonePort < 1 || hbonePort > 65535) {
      throw new IllegalArgumentException("hbonePort out of range: " + hbonePort);
    }
    if (inboundPlaintextAddress != null && inboundOriginalDestination == null) {
      throw new IllegalArgumentException(
          "inboundOriginalDestination is required with an inbound plaintext listener");
    }
    socksHandshakeTimeout =
        socksHandshakeTimeout == null ? Duration.ofSeconds(10) : socksHandshakeTimeout;
    pool = pool == null ? HbonePoolSettings.DEFAULTS : pool;
  }

  /** Production layout: HBONE on 15008, SOCKS5 on the given address, no plaintext listener. */
  public static ProxySettings of(String nodeName, InetSocketAddress socksAddress) {
    return new ProxySettings(nodeName, HBONE_PORT, socksAddress, null, null, null, null);
  }

  public static final int OUTBOUND_CAPTURE_PORT = 15001;

  /** The same settings in (or out of) in-pod mode. */
  public ProxySettings withInPod(boolean enabled) {
    return new ProxySettings(
        nodeName,
        hbonePort,
        socksAddress,
        inboundPlaintextAddress,
        inboundOriginalDestination,
        socksHandshakeTimeout,
        pool,
        enabled);
  }
}
