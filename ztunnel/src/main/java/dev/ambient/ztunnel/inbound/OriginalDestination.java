package dev.ambient.ztunnel.inbound;

import io.netty.channel.Channel;
import java.net.InetSocketAddress;

/**
 * Where an accepted plaintext connection was originally headed. Captured traffic reads it from the
 * socket (SO_ORIGINAL_DST); tests and explicit setups use a fixed address.
 */
@FunctionalInterface
public interface OriginalDestination {
  /** The original destination, or {@code null} when it cannot be determined. */
  InetSocketAddress of(Channel accepted);
}
