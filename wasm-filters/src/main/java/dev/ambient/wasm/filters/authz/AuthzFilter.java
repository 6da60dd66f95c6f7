package dev.ambient.wasm.filters.authz;

import dev.ambient.wasm.sdk.ProxyWasm;
import org.teavm.interop.Export;

/**
 * L7 AuthorizationPolicy enforcement (ALLOW / DENY / AUDIT) as a proxy-wasm filter. Plugin
 * configuration: {@code {"failStrategy": "FAIL_CLOSE", "policies": [{"name": "...", "namespace":
 * "...", "spec": {<AuthorizationPolicy spec>}}]}}. See the module README for the field list.
 */
public final class AuthzFilter {
  private AuthzFilter() {}

  public static void main(String[] args) {
    // Required by TeaVM; the host calls _initialize instead.
  }

  @Export(name = "_initialize")
  public static void initialize() {
    ProxyWasm.register(AuthzRoot::new);
  }
}
