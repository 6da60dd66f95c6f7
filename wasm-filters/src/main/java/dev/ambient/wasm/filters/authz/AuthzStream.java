package dev.ambient.wasm.filters.authz;

import dev.ambient.wasm.sdk.Action;
import dev.ambient.wasm.sdk.Header;
import dev.ambient.wasm.sdk.HttpContext;
import dev.ambient.wasm.sdk.Labels;
import dev.ambient.wasm.sdk.Log;
import dev.ambient.wasm.sdk.Metrics;
import dev.ambient.wasm.sdk.Properties;
import java.util.ArrayList;
import java.util.List;

/**
 * Decides on the request headers. A denial is answered like Envoy's RBAC filter: 403, body {@code
 * RBAC: access denied}, details {@code rbac_access_denied_matched_policy[<policy>|none]}.
 */
final class AuthzStream extends HttpContext {
  /** Filter-state key where the waypoint publishes the JWT principal ({@code iss/sub}). */
  static final String REQUEST_PRINCIPAL_FILTER_STATE = "wp.request_principal";

  private final PolicySet policies;

  AuthzStream(PolicySet policies) {
    this.policies = policies;
  }

  @Override
  public Action onRequestHeaders(int headerCount, boolean endOfStream) {
    RequestAttributes r = new RequestAttributes();
    r.headers = requestHeaders().pairs();
    r.method = first(r, ":method");
    r.path = first(r, ":path");
    r.authority = first(r, ":authority");
    if (r.authority == null) {
      r.authority = first(r, "host");
    }
    r.peerPrincipal = Properties.peerPrincipal();
    r.requestPrincipal = Properties.getString("filter_state", REQUEST_PRINCIPAL_FILTER_STATE);
    r.port = Properties.destinationPort();

    PolicySet.Decision d = policies.decide(r);
    for (String audited : d.audited) {
      Log.info(
          "authz AUDIT policy="
              + audited
              + " principal="
              + r.principal()
              + " "
              + r.method
              + " "
              + r.path);
      Metrics.counter("wasm_authz_audit_total", Labels.of("policy", audited)).increment(1);
    }
    String policy = d.policy == null ? "none" : d.policy;
    if (!d.allowed) {
      Metrics.counter(
              "wasm_authz_requests_total", Labels.of("decision", "deny").and("policy", policy))
          .increment(1);
      Log.debug("authz DENY policy=" + policy + " principal=" + r.principal());
      List<Header> headers = new ArrayList<>();
      headers.add(new Header("content-type", "text/plain"));
      sendLocalResponse(
          403, "rbac_access_denied_matched_policy[" + policy + "]", "RBAC: access denied", headers);
      return Action.PAUSE;
    }
    Metrics.counter(
            "wasm_authz_requests_total", Labels.of("decision", "allow").and("policy", policy))
        .increment(1);
    return Action.CONTINUE;
  }

  private static String first(RequestAttributes r, String name) {
    List<String> v = r.headerValues(name);
    return v.isEmpty() ? null : v.get(0);
  }
}
