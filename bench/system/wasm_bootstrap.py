#!/usr/bin/env python3
"""Prints the Envoy bootstrap (JSON) for one system of the Wasm benchmark.

Usage: wasm_bootstrap.py SYSTEM WASM_DIR BACKEND_PORT ADMIN_PORT LISTENER_PORT
Systems: none (HTTP connection manager + router), rbac (Envoy's RBAC filters, same policy as authz),
wasm_noop (a Java Wasm filter that does nothing: the fixed cost of any filter),
authz (the Java authz Wasm filter), telemetry (the Java telemetry Wasm filter).

The policy: DENY requests whose x-tenant header is "blocked"; ALLOW GET and POST on /api/*.
Native RBAC needs two filters for that, as Istio generates (a DENY filter, then an ALLOW filter).
"""
import json
import sys

AUTHZ_CONFIG = {
    "failStrategy": "FAIL_CLOSE",
    "policies": [
        {"name": "deny-blocked", "namespace": "bench", "spec": {"action": "DENY", "rules": [
            {"when": [{"key": "request.headers[x-tenant]", "values": ["blocked"]}]}]}},
        {"name": "allow-api", "namespace": "bench", "spec": {"action": "ALLOW", "rules": [
            {"to": [{"operation": {"methods": ["GET", "POST"], "paths": ["/api/*"]}}]}]}},
    ],
}

RBAC_DENY = {"action": "DENY", "policies": {"ns[bench]-policy[deny-blocked]-rule[0]": {
    "permissions": [{"header": {"name": "x-tenant", "string_match": {"exact": "blocked"}}}],
    "principals": [{"any": True}]}}}
RBAC_ALLOW = {"action": "ALLOW", "policies": {"ns[bench]-policy[allow-api]-rule[0]": {
    "permissions": [{"and_rules": {"rules": [
        {"or_rules": {"rules": [
            {"header": {"name": ":method", "string_match": {"exact": "GET"}}},
            {"header": {"name": ":method", "string_match": {"exact": "POST"}}}]}},
        {"url_path": {"path": {"prefix": "/api/"}}}]}}],
    "principals": [{"any": True}]}}}

ISTIO_TAGS = ["reporter", "source_workload", "source_workload_namespace", "source_principal",
              "source_canonical_service", "destination_workload", "destination_workload_namespace",
              "destination_principal", "destination_service", "destination_canonical_service",
              "request_protocol", "response_code", "connection_security_policy", "decision", "policy"]


def wasm(name, wasm_dir, config):
    return {"name": "envoy.filters.http.wasm", "typed_config": {
        "@type": "type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm",
        "config": {"name": name, "root_id": "",
                   "configuration": {"@type": "type.googleapis.com/google.protobuf.StringValue",
                                     "value": json.dumps(config)},
                   "vm_config": {"vm_id": name, "runtime": "envoy.wasm.runtime.v8",
                                 "code": {"local": {"filename": f"{wasm_dir}/{name}.wasm"}}}}}}


def rbac(rules):
    return {"name": "envoy.filters.http.rbac", "typed_config": {
        "@type": "type.googleapis.com/envoy.extensions.filters.http.rbac.v3.RBAC", "rules": rules}}


def main():
    system, wasm_dir, backend, admin, listener = sys.argv[1], sys.argv[2], *map(int, sys.argv[3:6])
    filters = {
        "none": [],
        "rbac": [rbac(RBAC_DENY), rbac(RBAC_ALLOW)],
        "wasm_noop": [wasm("noop", wasm_dir, {})],
        "authz": [wasm("authz", wasm_dir, AUTHZ_CONFIG)],
        "telemetry": [wasm("telemetry", wasm_dir, {"reporter": "waypoint"})],
    }[system]
    filters.append({"name": "envoy.filters.http.router", "typed_config": {
        "@type": "type.googleapis.com/envoy.extensions.filters.http.router.v3.Router"}})
    bootstrap = {
        "admin": {"address": {"socket_address": {"address": "127.0.0.1", "port_value": admin}}},
        "node": {"id": "bench", "cluster": "bench"},
        # Bounded tag regexes: Istio's unbounded form lets "policy" match inside
        # "connection_security_policy" (see wasm-filters/README.md).
        "stats_config": {"stats_tags": [{"tag_name": t, "regex": f"[.;]({t}=\\.=(.*?);\\.;)"}
                                        for t in ISTIO_TAGS]},
        "static_resources": {
            "listeners": [{"name": "bench", "address": {"socket_address": {
                "address": "127.0.0.1", "port_value": listener}},
                "filter_chains": [{"filters": [{
                    "name": "envoy.filters.network.http_connection_manager",
                    "typed_config": {
                        "@type": "type.googleapis.com/envoy.extensions.filters.network."
                                 "http_connection_manager.v3.HttpConnectionManager",
                        "stat_prefix": "bench",
                        "route_config": {"virtual_hosts": [{"name": "all", "domains": ["*"], "routes": [
                            {"match": {"prefix": "/"}, "route": {"cluster": "backend"}}]}]},
                        "http_filters": filters}}]}]}],
            "clusters": [{"name": "backend", "type": "STATIC", "connect_timeout": "2s",
                          "load_assignment": {"cluster_name": "backend", "endpoints": [{"lb_endpoints": [
                              {"endpoint": {"address": {"socket_address": {
                                  "address": "127.0.0.1", "port_value": backend}}}}]}]}}]},
    }
    print(json.dumps(bootstrap, indent=1))


if __name__ == "__main__":
    main()
