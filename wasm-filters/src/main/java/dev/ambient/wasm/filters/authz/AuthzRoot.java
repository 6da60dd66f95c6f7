package dev.ambient.wasm.filters.authz;

import dev.ambient.wasm.sdk.ConfigException;
import dev.ambient.wasm.sdk.HttpContext;
import dev.ambient.wasm.sdk.JsonObject;
import dev.ambient.wasm.sdk.Log;
import dev.ambient.wasm.sdk.RootContext;

/** Holds the current policy set; a rejected configuration leaves the previous one in force. */
final class AuthzRoot extends RootContext {
  private PolicySet policies;

  AuthzRoot(int id) {}

  @Override
  public void onConfigure(JsonObject config) throws ConfigException {
    PolicySet parsed = PolicySet.parse(config);
    policies = parsed;
    Log.info("authz: " + parsed.size() + " policies loaded");
  }

  @Override
  public HttpContext newHttpContext(int contextId) {
    return new AuthzStream(policies);
  }
}
