package dev.ambient.ztunnel.inbound;

import io.netty.channel.Channel;
import java.net.InetSocketAddress;
import java.util.Objects;

/** Every connection goes to one configured destination. */
public record FixedOriginalDestination(InetSocketAddress destination)
    implements OriginalDestination {
  public FixedOriginalDestination {
    Objects.requireNonNull(destination, "destination");
  }

  @Override
  public InetSocketAddress of(Channel accepted) {
    return destination;
  }
}
