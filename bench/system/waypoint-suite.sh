#!/usr/bin/env bash
# The waypoint-hop benchmark: what an L7 waypoint adds to the ztunnel path. Three "nodes" in
# network namespaces (a: client pods, b: server pods, c: the proxies in the middle) and four ways
# from a client pod on node a to an HTTP server (fortio) on node b, measured in one run, alternating:
#   direct     plain HTTP, no proxy (plain pod -> backend pod)
#   ztunnel    ztunnel a -> ztunnel b over HBONE (captured client pod -> server pod IP)
#   waypoint   ztunnel a -> waypoint Envoy (pod on node c) -> ztunnel b: the server's Service names
#              the waypoint; Envoy 1.40 is configured over ADS by the controller's waypoint code
#              (bench module's WaypointBenchRig) with one HTTPRoute that sets a request header
#   envoy_hop  a plain Envoy HTTP proxy (no mTLS, no HBONE) in a pod on node c: plain pod -> Envoy
#              -> backend pod; what one Envoy L7 hop costs, for reference
# fortio HTTP/1.1 keep-alive at fixed rates (1000 and 5000 rps) with 4 and 64 connections; reported:
# p50/p90/p99, added latency vs direct, proxy CPU per 1000 rps (/proc utime+stime of the ztunnel
# JVMs and the Envoys over the measured window), ratios. Proxies on CPU 0, fortio on CPU 1.
# Usage: bench/system/waypoint-suite.sh [--quick]   (needs root)
# Writes the section between <!-- waypoint-suite:begin/end --> of bench/RESULTS.md (a --quick run
# writes a copy in its work directory instead) and bench/waypoint-samples.jsonl.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
# shellcheck source=lib.sh
source "$HERE/lib.sh"
MESH="$ROOT/mesh"
parse_quick "$@"
require_root waypoint

load_tools
ENVOY="$(envoy_path)"
echo "==> building mesh.jar and the bench rig" >&2
(cd "$ROOT" && ./mvnw -q -B -DskipTests -pl gateway-controller,bench -am package >&2)
# mesh.jar was just built from these sources; files the build generated meanwhile must not make
# the launcher's staleness check build it a second time.
touch "$ROOT/gateway-controller/target/mesh.jar"
RIG_CP="$ROOT/bench/target/classes:$ROOT/gateway-controller/target/mesh.jar"

if [[ $QUICK -eq 1 ]]; then
  RUNS=1; SECS=3; RATES="1000"; CONNS="4 64"; WARM=10
else
  RUNS=3; SECS=10; RATES="1000 5000"; CONNS="4 64"; WARM=30
fi
SYSTEMS="direct ztunnel waypoint envoy_hop"
pin_cpus
PREFIX="$(random_prefix bw)"
start_work /tmp/ambient-wpbench
SAMPLE_COLS="%-10s %-44s"
CA_PORT=15413
NODE_A_ADMIN=127.0.0.83
NODE_B_ADMIN=127.0.0.84
VIP=10.96.0.10
export MESH_JAVA_OPTS="${MESH_JAVA_OPTS:--Xms32m -Xmx256m -XX:+UseSerialGC}"

trap cleanup_netns_suite EXIT INT TERM

LOADAVG_START=$(load_average)
log "topology: prefix $PREFIX, work dir $WORK (load average $LOADAVG_START)"
"$MESH" netns up --prefix "$PREFIX" --node a:10.71.1.0/24 --node b:10.71.2.0/24 --node c:10.71.3.0/24 \
  --pod a:client --pod a:plain --pod b:server --pod b:backend --pod c:waypoint --pod c:hop >"$WORK/topology.txt"
CLIENT_NS=$(ns_of client); PLAIN_NS=$(ns_of plain); SERVER_NS=$(ns_of server); BACKEND_NS=$(ns_of backend)
WP_NS=$(ns_of waypoint); HOP_NS=$(ns_of hop)
SERVER_IP=$(ip_of server); BACKEND_IP=$(ip_of backend); WP_IP=$(ip_of waypoint); HOP_IP=$(ip_of hop)
cat "$WORK/topology.txt" >&2

log "HTTP servers: fortio in the server pod (mesh) and the backend pod (no mesh), CPU $LOAD_CPU"
for ns in "$SERVER_NS" "$BACKEND_NS"; do
  bg in_ns "$ns" taskset -c $LOAD_CPU "$FORTIO" server -http-port 8080 -grpc-port disabled \
    -redirect-port disabled -tcp-port disabled -udp-port disabled
done

log "envoy_hop: a plain Envoy HTTP proxy in pod hop (node c) -> backend pod"
cat >"$WORK/hop.yaml" <<YAML
admin: {address: {socket_address: {address: 127.0.0.1, port_value: 15000}}}
static_resources:
  listeners:
  - name: hop
    address: {socket_address: {address: 0.0.0.0, port_value: 8080}}
    filter_chains:
    - filters:
      - name: envoy.filters.network.http_connection_manager
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
          stat_prefix: hop
          route_config:
            virtual_hosts:
            - name: backend
              domains: ["*"]
              routes: [{match: {prefix: "/"}, route: {cluster: backend, timeout: 0s}}]
          http_filters:
          - name: envoy.filters.http.router
            typed_config: {"@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router}
  clusters:
  - name: backend
    type: STATIC
    connect_timeout: 1s
    load_assignment:
      cluster_name: backend
      endpoints: [{lb_endpoints: [{endpoint: {address: {socket_address: {address: $BACKEND_IP, port_value: 8080}}}}]}]
YAML
ip netns exec "$HOP_NS" taskset -c $PROXY_CPU "$ENVOY" -c "$WORK/hop.yaml" --concurrency 1 \
  --disable-hot-restart -l warning >"$WORK/hop-envoy.log" 2>&1 &
HOP_PID=$!; PIDS+=($HOP_PID)

log "ztunnel pair: CA, two ztunnels in in-pod mode, CNI for the client and server pods"
cat >"$WORK/mesh.yaml" <<YAML
trustDomain: cluster.local
workloads:
- {name: client, namespace: default, serviceAccount: client, node: node-a, addresses: [$(ip_of client)]}
- {name: server, namespace: default, serviceAccount: server, node: node-b, addresses: [$SERVER_IP]}
- {name: waypoint, namespace: default, serviceAccount: waypoint, node: node-c, addresses: [$WP_IP]}
services:
- name: echo
  namespace: default
  vips: [$VIP]
  ports: [{port: 80, targetPort: 8080, name: http}]
  endpoints: [Kubernetes//Pod/default/server]
  waypoint: {address: $WP_IP}
YAML
cat >"$WORK/route.yaml" <<YAML
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: echo-bench, namespace: default}
spec:
  parentRefs: [{group: "", kind: Service, name: echo, port: 80}]
  rules:
  - matches: [{path: {type: PathPrefix, value: /}}]
    filters:
    - type: RequestHeaderModifier
      requestHeaderModifier: {set: [{name: x-mesh-route, value: bench}]}
    backendRefs: [{name: echo, port: 80}]
YAML
start_ztunnel_pair

log "waypoint: the controller's waypoint ADS + Envoy 1.40 in pod waypoint (node c), CPU $PROXY_CPU"
# The rig runs inside the waypoint's namespace, so Envoy does too and its ADS stays on that
# namespace's loopback.
ip netns exec "$WP_NS" taskset -c $PROXY_CPU java -Xms32m -Xmx128m -XX:+UseSerialGC -cp "$RIG_CP" \
  dev.ambient.bench.waypoint.WaypointBenchRig --mesh "$WORK/mesh.yaml" --route "$WORK/route.yaml" \
  --ca-state "$WORK/ca" --waypoint default/waypoint --envoy "$ENVOY" --work-dir "$WORK/waypoint" \
  --ready-file "$WORK/waypoint.ready" >"$WORK/rig.log" 2>&1 &
RIG_PID=$!; PIDS+=($RIG_PID)
for _ in $(seq 1 300); do
  [[ -f "$WORK/waypoint.ready" ]] && break
  kill -0 $RIG_PID 2>/dev/null || break
  sleep 0.2
done
if [[ ! -f "$WORK/waypoint.ready" ]]; then
  echo "bench waypoint: the waypoint did not come up; rig log:" >&2
  tail -40 "$WORK/rig.log" >&2
  [[ -f "$WORK/waypoint/envoy.log" ]] && tail -20 "$WORK/waypoint/envoy.log" >&2
  exit 1
fi
WP_ENVOY_PID=$(awk -F= '$1=="envoy_pid" {print $2}' "$WORK/waypoint.ready")
WP_ADMIN=$(awk -F= '$1=="admin" {print $2}' "$WORK/waypoint.ready")
cat "$WORK/waypoint.ready" >&2

if [[ -n "${HOLD:-}" ]]; then # for investigation: keep the topology up and print how to reach it
  echo "HOLD client_ns=$CLIENT_NS vip=$VIP server_ip=$SERVER_IP wp_ns=$WP_NS work=$WORK" >&2
  sleep infinity
fi

# system -> "client-netns url"
target() {
  case $1 in
    direct) echo "$PLAIN_NS http://$BACKEND_IP:8080/" ;;
    ztunnel) echo "$CLIENT_NS http://$SERVER_IP:8080/" ;;
    waypoint) echo "$CLIENT_NS http://$VIP:80/" ;;
    envoy_hop) echo "$PLAIN_NS http://$HOP_IP:8080/" ;;
  esac
}
# system -> the pids whose CPU the system's proxies use
proxy_pids() {
  case $1 in
    ztunnel) echo "${ZT_PID[*]}" ;;
    waypoint) echo "${ZT_PID[*]} $WP_ENVOY_PID" ;;
    envoy_hop) echo "$HOP_PID" ;;
  esac
}

log "checks: every path answers 200, and the waypoint path carries the HTTPRoute's header"
for system in $SYSTEMS; do
  read -r ns url <<<"$(target $system)"
  code=""
  for _ in $(seq 1 50); do
    code=$(in_ns "$ns" curl -s -o /dev/null -w '%{http_code}' -m 5 "$url" || true)
    [[ $code == 200 ]] && break
    sleep 0.2
  done
  [[ $code == 200 ]] || { echo "bench waypoint: $system ($url) answers '$code', not 200" >&2; tail -20 "$WORK/rig.log" >&2; exit 1; }
done
read -r ns url <<<"$(target waypoint)"
if ! in_ns "$ns" curl -s -m 5 "${url}debug" | grep -qi 'x-mesh-route: bench'; then
  echo "bench waypoint: the waypoint path does not carry x-mesh-route: bench (not through the waypoint?)" >&2
  exit 1
fi
read -r ns url <<<"$(target ztunnel)"
if in_ns "$ns" curl -s -m 5 "${url}debug" | grep -qi 'x-mesh-route:'; then
  echo "bench waypoint: the ztunnel path went through the waypoint" >&2
  exit 1
fi

log "warm-up, not measured (${WARM}s per path): the ztunnel JVMs compile their hot paths"
for system in ztunnel waypoint envoy_hop; do
  read -r ns url <<<"$(target $system)"
  in_ns "$ns" taskset -c $LOAD_CPU "$FORTIO" load -quiet -qps 1000 -c 8 -t "${WARM}s" "$url" >/dev/null 2>&1 || true
done
wp_requests() { in_ns "$WP_NS" curl -s "http://$WP_ADMIN/stats?filter=downstream_rq_completed" | awk -F': ' '/^http\..*downstream_rq_completed/ {s += $2} END {print s + 0}'; }
WP_REQ0=$(wp_requests)

for run in $(seq 1 $RUNS); do
  # shellcheck disable=SC2086
  for system in $(rotated $run $SYSTEMS); do
    read -r ns url <<<"$(target $system)"
    log "run $run/$RUNS: $system ($url)"
    for rate in $RATES; do
      for c in $CONNS; do
        key="${rate}rps_${c}c"
        pids="$(proxy_pids $system)"
        # shellcheck disable=SC2086
        t0=$(proc_ticks $pids); [[ $system == waypoint ]] && e0=$(proc_ticks "$WP_ENVOY_PID")
        fortio_fixed_rate "$rate" "$c" "$url" "$ns"
        # shellcheck disable=SC2086
        t1=$(proc_ticks $pids); [[ $system == waypoint ]] && e1=$(proc_ticks "$WP_ENVOY_PID")
        if [[ ! -s "$WORK/lat.json" ]]; then failed $system "latency_$key" "fortio gave no result"; continue; fi
        read -r p50 p90 p99 qps ok total <<<"$(fortio_summary "$WORK/lat.json" 1000)"
        if [[ $ok != "$total" || $total == 0 ]]; then failed $system "latency_$key" "$((total - ok)) of $total requests not 200"; continue; fi
        sample $system "latency_p50_ms_$key" "$p50" $run
        sample $system "latency_p90_ms_$key" "$p90" $run
        sample $system "latency_p99_ms_$key" "$p99" $run
        sample $system "achieved_rps_$key" "$qps" $run
        if [[ -n $pids ]]; then
          sample $system "cpu_cores_per_1000rps_$key" "$(cores_per_1000rps "$t0" "$t1" "$qps")" $run
        fi
        if [[ $system == waypoint ]]; then
          sample $system "cpu_envoy_only_cores_per_1000rps_$key" "$(cores_per_1000rps "$e0" "$e1" "$qps")" $run
        fi
      done
    done
  done
done
sample waypoint waypoint_envoy_requests_measured "$(($(wp_requests) - WP_REQ0))" 1

results_target copy
LOADAVG=$(load_average)
HEADER="Machine: $CPUS cores shared with other work (load average at the start: $LOADAVG_START, at the end: $LOADAVG), $(cpu_model); kernel $(uname -r); $(java_version); Envoy $(envoy_version "$ENVOY"). Date: $(utc_now). Runs: $RUNS x ${SECS}s per rate and connection count$MODE, systems alternating (order rotated each run). Proxies (ztunnels, Envoys) on CPU $PROXY_CPU, fortio client and server on CPU $LOAD_CPU."
python3 "$HERE/waypoint_report.py" "$RAW" "$OUT" "$HEADER" "$WORK/failures.txt"
[[ $QUICK -eq 1 ]] || cp "$RAW" "$ROOT/bench/waypoint-samples.jsonl"
log "results: $OUT (section 'The waypoint hop')"
