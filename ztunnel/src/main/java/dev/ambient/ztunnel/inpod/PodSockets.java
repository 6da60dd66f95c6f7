package dev.ambient.ztunnel.inpod;

import dev.ambient.ztunnel.relay.NetTransport;
import dev.ambient.ztunnel.relay.SocketFactory;
import io.netty.channel.Channel;
import io.netty.channel.ChannelException;
import io.netty.channel.ChannelFactory;
import io.netty.channel.ReflectiveChannelFactory;
import io.netty.channel.ServerChannel;
import java.io.IOException;

/**
 * Sockets inside one pod's network namespace. Client sockets carry {@link
 * SocketOptions#ZTUNNEL_MARK}, which the pod's rules exempt from redirection, so ztunnel's own
 * upstream connections leave the pod (and reach its application) instead of looping back into
 * 15001.
 */
final class PodSockets implements SocketFactory {
  private final String id;
  private final Netns netns;
  private final ChannelFactory<? extends Channel> clients;
  private final ChannelFactory<? extends ServerChannel> servers;

  PodSockets(String id, Netns netns, NetTransport transport) {
    this.id = id;
    this.netns = netns;
    this.clients = new ReflectiveChannelFactory<>(transport.channelClass());
    this.servers = new ReflectiveChannelFactory<>(transport.serverChannelClass());
  }

  @Override
  public String id() {
    return id;
  }

  Netns netns() {
    return netns;
  }

  @Override
  public Channel newClient() {
    try {
      return netns.run(
          () -> {
            Channel ch = clients.newChannel();
            try {
              SocketOptions.setMark(SocketOptions.fd(ch), SocketOptions.ZTUNNEL_MARK);
            } catch (IOException e) {
              ch.unsafe().closeForcibly();
              throw e;
            }
            return ch;
          });
    } catch (Exception e) {
      throw new ChannelException(
          "cannot create a socket in netns " + netns.path() + ": " + e.getMessage(), e);
    }
  }

  @Override
  public ServerChannel newServer() {
    try {
      return netns.run(servers::newChannel);
    } catch (Exception e) {
      throw new ChannelException(
          "cannot create a listening socket in netns " + netns.path() + ": " + e.getMessage(), e);
    }
  }
}
