package dev.ambient.ztunnel.relay;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFactory;
import io.netty.channel.ReflectiveChannelFactory;
import io.netty.channel.ServerChannel;

/**
 * Where ztunnel's sockets are made. Netty creates a channel's socket in the channel constructor, on
 * the calling thread, so whoever constructs the channel decides its network namespace and can set
 * options (such as SO_MARK) before it is used. The host default makes plain channels in ztunnel's
 * own namespace; in-pod mode makes them inside a pod's namespace, marked.
 */
public interface SocketFactory {
  /**
   * Distinguishes factories whose sockets differ (namespace, source address): HBONE connections are
   * shared only between tunnels made by the same factory.
   */
  String id();

  /** A new unconnected client channel. */
  Channel newClient();

  /** A new unbound server channel. */
  ServerChannel newServer();

  /** As a Netty client channel factory. */
  default ChannelFactory<Channel> clients() {
    return this::newClient;
  }

  /** As a Netty server channel factory. */
  default ChannelFactory<ServerChannel> servers() {
    return this::newServer;
  }

  /** Sockets in ztunnel's own network namespace. */
  static SocketFactory host(NetTransport transport) {
    ChannelFactory<? extends Channel> clients =
        new ReflectiveChannelFactory<>(transport.channelClass());
    ChannelFactory<? extends ServerChannel> servers =
        new ReflectiveChannelFactory<>(transport.serverChannelClass());
    return new SocketFactory() {
      @Override
      public String id() {
        return "host";
      }

      @Override
      public Channel newClient() {
        return clients.newChannel();
      }

      @Override
      public ServerChannel newServer() {
        return servers.newChannel();
      }
    };
  }
}
