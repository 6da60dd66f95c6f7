package dev.ambient.controller.waypoint.xds;

import com.google.protobuf.ByteString;
import com.google.protobuf.StringValue;
import dev.ambient.controller.wasm.WasmFilter;
import io.envoyproxy.envoy.config.core.v3.AsyncDataSource;
import io.envoyproxy.envoy.config.core.v3.DataSource;
import io.envoyproxy.envoy.extensions.filters.http.fault.v3.FaultAbort;
import io.envoyproxy.envoy.extensions.filters.http.fault.v3.HTTPFault;
import io.envoyproxy.envoy.extensions.filters.http.wasm.v3.Wasm;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import io.envoyproxy.envoy.extensions.wasm.v3.FailurePolicy;
import io.envoyproxy.envoy.extensions.wasm.v3.PluginConfig;
import io.envoyproxy.envoy.extensions.wasm.v3.VmConfig;
import io.envoyproxy.envoy.type.v3.FractionalPercent;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * WasmPlugins as HTTP filters of a {@code main_internal} chain: AUTHN and AUTHZ plugins before the
 * RBAC filters, STATS and unspecified ones after them (the list comes sorted, {@link
 * WasmFilter#ORDER}).
 *
 * <p>The module travels inline ({@code vm_config.code.local.inline_bytes}): a pod waypoint's only
 * connection to the controller is ADS, so Envoy could not fetch a remote data source from the
 * controller, and a remote fetch would hold up listener warming. Envoy keys its VMs by vm id and
 * code, so the copies in several chains share one VM per plugin.
 *
 * <p>A plugin that could not be loaded and fails closed becomes a fault filter that aborts every
 * request with 503: the fixed abort cannot be lifted by request headers (only {@code header_abort}
 * reads them).
 */
final class WasmHttpFilters {
  static final String WASM = "envoy.filters.http.wasm";
  static final String FAULT = "envoy.filters.http.fault";

  // Envoy names a plugin it could not create ("Unable to create Wasm plugin ns.name") or the
  // filter whose config failed ("envoy.filters.http.wasm/ns/name").
  private static final Pattern NAMED =
      Pattern.compile("Wasm plugin ([^\\s,:'\"]+)|envoy\\.filters\\.http\\.wasm/([^\\s,:'\"]+)");

  private WasmHttpFilters() {}

  /** The WasmPlugins an Envoy error message names (Envoy's plugin names, {@code ns.name}). */
  static List<String> pluginsNamedIn(String message) {
    Set<String> out = new LinkedHashSet<>();
    if (message != null) {
      Matcher m = NAMED.matcher(message);
      while (m.find()) {
        out.add(m.group(1) != null ? m.group(1) : m.group(2).replace('/', '.'));
      }
    }
    return List.copyOf(out);
  }

  static List<HttpFilter> beforeRbac(List<WasmFilter> filters) {
    List<HttpFilter> out = new ArrayList<>();
    for (WasmFilter f : filters) {
      if (f.phase().beforeRbac()) {
        out.add(filter(f));
      }
    }
    return out;
  }

  static List<HttpFilter> afterRbac(List<WasmFilter> filters) {
    List<HttpFilter> out = new ArrayList<>();
    for (WasmFilter f : filters) {
      if (!f.phase().beforeRbac()) {
        out.add(filter(f));
      }
    }
    return out;
  }

  static HttpFilter filter(WasmFilter f) {
    if (f.failedClosed()) {
      return HttpFilter.newBuilder()
          .setName(FAULT + "/" + f.plugin())
          .setTypedConfig(
              Protos.any(
                  HTTPFault.newBuilder()
                      .setAbort(
                          FaultAbort.newBuilder()
                              .setHttpStatus(503)
                              .setPercentage(
                                  FractionalPercent.newBuilder()
                                      .setNumerator(100)
                                      .setDenominator(FractionalPercent.DenominatorType.HUNDRED)))
                      .build()))
          .build();
    }
    String vmId = f.envoyName() + ":" + f.module().sha256().substring(0, 12);
    PluginConfig plugin =
        PluginConfig.newBuilder()
            .setName(f.envoyName())
            .setRootId(f.pluginName())
            .setVmConfig(
                VmConfig.newBuilder()
                    .setVmId(vmId)
                    .setRuntime("envoy.wasm.runtime.v8")
                    .setCode(
                        AsyncDataSource.newBuilder()
                            .setLocal(
                                DataSource.newBuilder()
                                    .setInlineBytes(ByteString.copyFrom(f.module().bytes())))))
            .setConfiguration(Protos.any(StringValue.of(f.configuration())))
            .setFailurePolicy(f.failOpen() ? FailurePolicy.FAIL_OPEN : FailurePolicy.FAIL_CLOSED)
            .build();
    return HttpFilter.newBuilder()
        .setName(WASM + "/" + f.plugin())
        .setTypedConfig(Protos.any(Wasm.newBuilder().setConfig(plugin).build()))
        .build();
  }
}
