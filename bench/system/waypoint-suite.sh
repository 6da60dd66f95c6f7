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
MESH="$ROOT/mesh"
QUICK=0
[[ "${1:-}" == "--quick" ]] && QUICK=1
if [[ $(id -u) -ne 0 ]]; then
  echo "bench waypoint: needs root (network namespaces, iptables)" >&2
  exit 1
fi

BIN="$(bash "$HERE/tools.sh" | tail -1)"
FORTIO="$BIN/fortio"
ENVOY="$(bash "$ROOT/tools/envoy.sh" | tail -1)"
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
CPUS=$(nproc)
PROXY_CPU=0; LOAD_CPU=$((CPUS > 1 ? 1 : 0))
PREFIX="bw$(printf '%04x' $((RANDOM % 65536)))"
WORK="$(mktemp -d /tmp/ambient-wpbench.XXXXXX)"
RAW="$WORK/samples.jsonl"
PIDS=()
CA_PORT=15413
NODE_A_ADMIN=127.0.0.83
NODE_B_ADMIN=127.0.0.84
VIP=10.96.0.10
export MESH_JAVA_OPTS="${MESH_JAVA_OPTS:--Xms32m -Xmx256m -XX:+UseSerialGC}"

cleanup() {
  set +e
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
  sleep 1
  for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
  # Also kills whatever still runs inside the namespaces (the rig's Envoy).
  "$MESH" netns down --prefix "$PREFIX" >/dev/null 2>&1
  [[ -n "${KEEP_WORK:-}" ]] || rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

log() { echo "==> $*" >&2; }
sample() { # system metric value run
  printf '{"system":"%s","metric":"%s","value":%s,"run":%s}\n' "$1" "$2" "$3" "$4" >>"$RAW"
  printf '    %-10s %-44s %s\n' "$1" "$2" "$3" >&2
}
failed() { printf '    %-10s %-44s FAILED (%s)\n' "$1" "$2" "$3" >&2; echo "$1 $2 $3" >>"$WORK/failures.txt"; }
in_ns() { local ns=$1; shift; ip netns exec "$ns" "$@"; }
bg() { "$@" >>"$WORK/bg.log" 2>&1 & PIDS+=($!); }

LOADAVG_START=$(cut -d' ' -f1-3 /proc/loadavg)
log "topology: prefix $PREFIX, work dir $WORK (load average $LOADAVG_START)"
"$MESH" netns up --prefix "$PREFIX" --node a:10.71.1.0/24 --node b:10.71.2.0/24 --node c:10.71.3.0/24 \
  --pod a:client --pod a:plain --pod b:server --pod b:backend --pod c:waypoint --pod c:hop >"$WORK/topology.txt"
ns_of() { awk -v n="$1" '$1=="pod" && $2==n {print $4}' "$WORK/topology.txt"; }
ip_of() { awk -v n="$1" '$1=="pod" && $2==n {print $6}' "$WORK/topology.txt"; }
path_of() { awk -v n="$1" '$1=="pod" && $2==n {gsub(/[()]/,"",$NF); print $NF}' "$WORK/topology.txt"; }
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
for node in node-a node-b; do
  "$MESH" ca token --state-dir "$WORK/ca" --node "$node" --out "$WORK/$node.token" >/dev/null
done
bg taskset -c $PROXY_CPU "$MESH" ca serve --state-dir "$WORK/ca" --config "$WORK/mesh.yaml" --listen 127.0.0.1:$CA_PORT
for _ in $(seq 1 150); do
  [[ -f "$WORK/ca/trust-bundle.pem" ]] && (exec 3<>/dev/tcp/127.0.0.1/$CA_PORT) 2>/dev/null && break
  sleep 0.2
done
declare -A ZT_PID
for spec in "node-a:$NODE_A_ADMIN" "node-b:$NODE_B_ADMIN"; do
  node=${spec%%:*}; admin=${spec##*:}
  taskset -c $PROXY_CPU "$MESH" ztunnel --config "$WORK/mesh.yaml" --node "$node" \
    --ca-address 127.0.0.1:$CA_PORT --ca-root "$WORK/ca/trust-bundle.pem" --ca-token-file "$WORK/$node.token" \
    --node-ip "$admin" --inpod-socket "$WORK/$node.sock" >"$WORK/$node.log" 2>&1 &
  PIDS+=($!); ZT_PID[$node]=$!
done
for spec in "node-a:$NODE_A_ADMIN" "node-b:$NODE_B_ADMIN"; do
  node=${spec%%:*}; admin=${spec##*:}
  for _ in $(seq 1 150); do
    curl -sf "http://$admin:15021/healthz/ready" >/dev/null 2>&1 && break
    sleep 0.2
  done
  curl -sf "http://$admin:15021/healthz/ready" >/dev/null || { tail -30 "$WORK/$node.log" >&2; exit 1; }
done
"$MESH" cni add --netns "$(path_of client)" --pod default/client --config "$WORK/mesh.yaml" --node node-a \
  --socket "$WORK/node-a.sock" --state-dir "$WORK/cni-a" >&2
"$MESH" cni add --netns "$(path_of server)" --pod default/server --config "$WORK/mesh.yaml" --node node-b \
  --socket "$WORK/node-b.sock" --state-dir "$WORK/cni-b" >&2

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
ticks() { # utime+stime of these processes (all their threads); "$MESH ztunnel" execs java
  local t=0
  for p in "$@"; do
    for jp in $(pgrep -P "$p") "$p"; do
      [[ -r /proc/$jp/stat ]] && t=$((t + $(awk '{print $14 + $15}' "/proc/$jp/stat")))
    done
  done
  echo $t
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

HZ=$(getconf CLK_TCK)
read -r -a SYSTEM_LIST <<<"$SYSTEMS"
for run in $(seq 1 $RUNS); do
  ORDER=() # rotate each run, so no system always runs first or right after a given other
  for i in "${!SYSTEM_LIST[@]}"; do ORDER+=("${SYSTEM_LIST[$(((i + run - 1) % ${#SYSTEM_LIST[@]}))]}"); done
  for system in "${ORDER[@]}"; do
    read -r ns url <<<"$(target $system)"
    log "run $run/$RUNS: $system ($url)"
    for rate in $RATES; do
      for c in $CONNS; do
        key="${rate}rps_${c}c"
        pids="$(proxy_pids $system)"
        # shellcheck disable=SC2086
        t0=$(ticks $pids); [[ $system == waypoint ]] && e0=$(ticks "$WP_ENVOY_PID")
        rm -f "$WORK/lat.json"
        in_ns "$ns" taskset -c $LOAD_CPU "$FORTIO" load -quiet -r 0.00001 -qps "$rate" -c "$c" -t "${SECS}s" \
          -json "$WORK/lat.json" "$url" >/dev/null 2>&1 || true
        # shellcheck disable=SC2086
        t1=$(ticks $pids); [[ $system == waypoint ]] && e1=$(ticks "$WP_ENVOY_PID")
        if [[ ! -s "$WORK/lat.json" ]]; then failed $system "latency_$key" "fortio gave no result"; continue; fi
        read -r p50 p90 p99 qps ok total <<<"$(python3 - "$WORK/lat.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
p = {x["Percentile"]: x["Value"] for x in d["DurationHistogram"]["Percentiles"]}
codes = d.get("RetCodes", {})
print(p[50] * 1000, p[90] * 1000, p[99] * 1000, d["ActualQPS"], codes.get("200", 0), sum(codes.values()))
PY
)"
        if [[ $ok != "$total" || $total == 0 ]]; then failed $system "latency_$key" "$((total - ok)) of $total requests not 200"; continue; fi
        sample $system "latency_p50_ms_$key" "$p50" $run
        sample $system "latency_p90_ms_$key" "$p90" $run
        sample $system "latency_p99_ms_$key" "$p99" $run
        sample $system "achieved_rps_$key" "$qps" $run
        if [[ -n $pids ]]; then
          sample $system "cpu_cores_per_1000rps_$key" "$(python3 -c "print(($t1-$t0)/$HZ/$SECS/($qps/1000))")" $run
        fi
        if [[ $system == waypoint ]]; then
          sample $system "cpu_envoy_only_cores_per_1000rps_$key" "$(python3 -c "print(($e1-$e0)/$HZ/$SECS/($qps/1000))")" $run
        fi
      done
    done
  done
done
sample waypoint waypoint_envoy_requests_measured "$(($(wp_requests) - WP_REQ0))" 1

MODE=""
OUT="$ROOT/bench/RESULTS.md"
if [[ $QUICK -eq 1 ]]; then
  MODE=" (--quick)"
  OUT="$WORK/RESULTS-quick.md"
  KEEP_WORK=1
  [[ -f "$ROOT/bench/RESULTS.md" ]] && cp "$ROOT/bench/RESULTS.md" "$OUT"
fi
LOADAVG=$(cut -d' ' -f1-3 /proc/loadavg)
HEADER="Machine: $CPUS cores shared with other work (load average at the start: $LOADAVG_START, at the end: $LOADAVG), $(lscpu | awk -F: '/Model name/ {gsub(/^ +/,"",$2); print $2}'); kernel $(uname -r); $(java -version 2>&1 | head -1); Envoy $("$ENVOY" --version | awk 'NF {print $NF}'). Date: $(date -u +%Y-%m-%dT%H:%MZ). Runs: $RUNS x ${SECS}s per rate and connection count$MODE, systems alternating (order rotated each run). Proxies (ztunnels, Envoys) on CPU $PROXY_CPU, fortio client and server on CPU $LOAD_CPU."
python3 "$HERE/waypoint_report.py" "$RAW" "$OUT" "$HEADER" "$WORK/failures.txt"
[[ $QUICK -eq 1 ]] || cp "$RAW" "$ROOT/bench/waypoint-samples.jsonl"
log "results: $OUT (section 'The waypoint hop')"
