package dev.ambient.controller.waypoint.xds;

import com.google.protobuf.Any;
import com.google.protobuf.Message;
import io.envoyproxy.envoy.config.core.v3.Address;
import io.envoyproxy.envoy.config.core.v3.AggregatedConfigSource;
import io.envoyproxy.envoy.config.core.v3.ApiVersion;
import io.envoyproxy.envoy.config.core.v3.ConfigSource;
import io.envoyproxy.envoy.config.core.v3.DataSource;
import io.envoyproxy.envoy.config.core.v3.EnvoyInternalAddress;
import io.envoyproxy.envoy.config.core.v3.SocketAddress;
import io.envoyproxy.envoy.config.core.v3.SubstitutionFormatString;
import io.envoyproxy.envoy.config.core.v3.TransportSocket;
import io.envoyproxy.envoy.extensions.filters.common.set_filter_state.v3.FilterStateValue;
import io.envoyproxy.envoy.extensions.transport_sockets.internal_upstream.v3.InternalUpstreamTransport;
import io.envoyproxy.envoy.extensions.transport_sockets.raw_buffer.v3.RawBuffer;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.SdsSecretConfig;
import java.net.InetAddress;

/** Small builders for protos every waypoint resource uses. */
final class Protos {
  private Protos() {}

  static Any any(Message m) {
    return Any.pack(m);
  }

  /** Everything comes over the one ADS stream. */
  static ConfigSource ads() {
    return ConfigSource.newBuilder()
        .setAds(AggregatedConfigSource.getDefaultInstance())
        .setResourceApiVersion(ApiVersion.V3)
        .build();
  }

  static SdsSecretConfig sds(String name) {
    return SdsSecretConfig.newBuilder().setName(name).setSdsConfig(ads()).build();
  }

  /** A secret from the waypoint agent's local SDS server ({@link AgentSds#CLUSTER}). */
  static SdsSecretConfig agentSds(String name) {
    ConfigSource agent =
        ConfigSource.newBuilder()
            .setApiConfigSource(
                io.envoyproxy.envoy.config.core.v3.ApiConfigSource.newBuilder()
                    .setApiType(io.envoyproxy.envoy.config.core.v3.ApiConfigSource.ApiType.GRPC)
                    .setTransportApiVersion(ApiVersion.V3)
                    .addGrpcServices(
                        io.envoyproxy.envoy.config.core.v3.GrpcService.newBuilder()
                            .setEnvoyGrpc(
                                io.envoyproxy.envoy.config.core.v3.GrpcService.EnvoyGrpc
                                    .newBuilder()
                                    .setClusterName(AgentSds.CLUSTER))))
            .setResourceApiVersion(ApiVersion.V3)
            .build();
    return SdsSecretConfig.newBuilder().setName(name).setSdsConfig(agent).build();
  }

  static Address socket(InetAddress ip, int port) {
    return Address.newBuilder()
        .setSocketAddress(
            SocketAddress.newBuilder().setAddress(ip.getHostAddress()).setPortValue(port))
        .build();
  }

  static Address internal(String listener, String endpointId) {
    EnvoyInternalAddress.Builder b =
        EnvoyInternalAddress.newBuilder().setServerListenerName(listener);
    if (endpointId != null) {
      b.setEndpointId(endpointId);
    }
    return Address.newBuilder().setEnvoyInternalAddress(b).build();
  }

  static TransportSocket rawBuffer() {
    return TransportSocket.newBuilder()
        .setName("envoy.transport_sockets.raw_buffer")
        .setTypedConfig(any(RawBuffer.getDefaultInstance()))
        .build();
  }

  /** Connects to an internal listener; {@code withHostMetadata} hands endpoint metadata over. */
  static TransportSocket internalUpstream(boolean withHostMetadata) {
    InternalUpstreamTransport.Builder b =
        InternalUpstreamTransport.newBuilder().setTransportSocket(rawBuffer());
    if (withHostMetadata) {
      b.addPassthroughMetadata(
          InternalUpstreamTransport.MetadataValueSource.newBuilder()
              .setKind(
                  io.envoyproxy.envoy.type.metadata.v3.MetadataKind.newBuilder()
                      .setHost(
                          io.envoyproxy.envoy.type.metadata.v3.MetadataKind.Host
                              .getDefaultInstance()))
              .setName(XdsNames.ORIGINAL_DST));
    }
    return TransportSocket.newBuilder()
        .setName("envoy.transport_sockets.internal_upstream")
        .setTypedConfig(any(b.build()))
        .build();
  }

  /** A filter-state value from a format string, shared once with the upstream connection. */
  static FilterStateValue filterState(String key, String factory, String format, boolean share) {
    FilterStateValue.Builder b =
        FilterStateValue.newBuilder()
            .setObjectKey(key)
            .setFormatString(
                SubstitutionFormatString.newBuilder()
                    .setTextFormatSource(DataSource.newBuilder().setInlineString(format)));
    if (factory != null) {
      b.setFactoryKey(factory);
    }
    if (share) {
      b.setSharedWithUpstream(FilterStateValue.SharedWithUpstream.ONCE);
    }
    return b.build();
  }
}
