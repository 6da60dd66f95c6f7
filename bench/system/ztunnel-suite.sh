#!/usr/bin/env bash
# The ztunnel whole-system benchmark: two "nodes" in network namespaces, and four ways from a
# client pod on node a to a server pod on node b, measured in one run, alternating:
#   direct      plain TCP, no proxy
#   tcp_relay   socat on node a -> socat on node b (a plain TCP relay pair)
#   mtls_relay  stunnel on node a -> stunnel on node b (TLS 1.3, AES-128-GCM, mutual certificates)
#   ztunnel     our ztunnel pair: captured in the pod, HBONE (HTTP/2 CONNECT over mTLS)
# Proxies are pinned to CPU 0 and load generators to CPU 1 where the machine has two or more.
# Usage: bench/system/ztunnel-suite.sh [--quick]   (needs root)
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
MESH="$ROOT/mesh"
QUICK=0
[[ "${1:-}" == "--quick" ]] && QUICK=1
if [[ $(id -u) -ne 0 ]]; then
  echo "bench ztunnel: needs root (network namespaces, iptables)" >&2
  exit 1
fi

BIN="$(bash "$HERE/tools.sh" | tail -1)"
FORTIO="$BIN/fortio"
"$MESH" build -q >/dev/null

if [[ $QUICK -eq 1 ]]; then RUNS=1; SECS=3; RATES="1000"; CONNS="4 64"; else RUNS=3; SECS=10; RATES="1000 5000"; CONNS="4 64"; fi
CPUS=$(nproc)
PROXY_CPU=0; LOAD_CPU=$((CPUS > 1 ? 1 : 0))
PREFIX="bz$(printf '%04x' $((RANDOM % 65536)))"
WORK="$(mktemp -d /tmp/ambient-bench.XXXXXX)"
RAW="$WORK/samples.jsonl"
PIDS=()
CA_PORT=15412
NODE_A_ADMIN=127.0.0.81
NODE_B_ADMIN=127.0.0.82
export MESH_JAVA_OPTS="${MESH_JAVA_OPTS:--Xms32m -Xmx256m -XX:+UseSerialGC}"

cleanup() {
  set +e
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
  sleep 1
  for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
  "$MESH" netns down --prefix "$PREFIX" >/dev/null 2>&1
  [[ -n "${KEEP_WORK:-}" ]] || rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

log() { echo "==> $*" >&2; }
sample() { # system metric value run
  printf '{"system":"%s","metric":"%s","value":%s,"run":%s}\n' "$1" "$2" "$3" "$4" >>"$RAW"
  printf '    %-11s %-34s %s\n' "$1" "$2" "$3" >&2
}
in_ns() { local ns=$1; shift; ip netns exec "$ns" "$@"; }
bg() { "$@" >>"$WORK/bg.log" 2>&1 & PIDS+=($!); }

log "topology: prefix $PREFIX, work dir $WORK"
"$MESH" netns up --prefix "$PREFIX" --pod a:client --pod a:plain --pod b:server --pod b:backend >"$WORK/topology.txt"
ns_of() { awk -v n="$1" '$1=="pod" && $2==n {print $4}' "$WORK/topology.txt"; }
ip_of() { awk -v n="$1" '$1=="pod" && $2==n {print $6}' "$WORK/topology.txt"; }
path_of() { awk -v n="$1" '$1=="pod" && $2==n {gsub(/[()]/,"",$NF); print $NF}' "$WORK/topology.txt"; }
node_ns() { awk -v n="$1" '$1=="node" && $2==n {print $4}' "$WORK/topology.txt"; }
bridge_ip() { awk -v n="$1" '$1=="node" && $2==n {print $7}' "$WORK/topology.txt"; }
CLIENT_NS=$(ns_of client); PLAIN_NS=$(ns_of plain); SERVER_NS=$(ns_of server); BACKEND_NS=$(ns_of backend)
SERVER_IP=$(ip_of server); BACKEND_IP=$(ip_of backend)
NODE_A_NS=$(node_ns a); NODE_B_NS=$(node_ns b); NODE_A_IP=$(bridge_ip a); NODE_B_IP=$(bridge_ip b)
cat "$WORK/topology.txt" >&2

log "servers: iperf3 and fortio in the server pod (mesh) and the backend pod (no mesh)"
for ns in "$SERVER_NS" "$BACKEND_NS"; do
  bg in_ns "$ns" taskset -c $LOAD_CPU iperf3 -s -p 5201
  bg in_ns "$ns" taskset -c $LOAD_CPU "$FORTIO" server -http-port 8080 -grpc-port disabled -redirect-port disabled -tcp-port 8078 -udp-port disabled
done

log "references: socat pair and stunnel pair, node a -> node b -> backend"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj "/CN=relay" \
  -keyout "$WORK/relay.key" -out "$WORK/relay.crt" >/dev/null 2>&1
for port in 5201 8078 8080; do
  bg in_ns "$NODE_A_NS" taskset -c $PROXY_CPU socat TCP-LISTEN:$((port + 10000)),bind=$NODE_A_IP,fork,reuseaddr TCP:$NODE_B_IP:$((port + 10000))
  bg in_ns "$NODE_B_NS" taskset -c $PROXY_CPU socat TCP-LISTEN:$((port + 10000)),bind=$NODE_B_IP,fork,reuseaddr TCP:$BACKEND_IP:$port
done
# One TLS 1.3 AES-128-GCM tunnel per port, mutual certificates: node a (client) -> node b (server).
stunnel_conf() { # side(a|b)
  printf 'foreground = yes\npid =\n'
  for port in 5201 8078 8080; do
    if [[ $1 == a ]]; then
      printf '[relay-%s]\nclient = yes\naccept = %s:%s\nconnect = %s:%s\n' "$port" "$NODE_A_IP" $((port + 20000)) "$NODE_B_IP" $((port + 20000))
    else
      printf '[relay-%s]\nclient = no\naccept = %s:%s\nconnect = %s:%s\n' "$port" "$NODE_B_IP" $((port + 20000)) "$BACKEND_IP" "$port"
    fi
    printf 'cert = %s\nkey = %s\nCAfile = %s\nverifyPeer = yes\nsslVersionMin = TLSv1.3\nciphersuites = TLS_AES_128_GCM_SHA256\n' \
      "$WORK/relay.crt" "$WORK/relay.key" "$WORK/relay.crt"
  done
}
stunnel_conf a >"$WORK/stunnel-a.conf"
stunnel_conf b >"$WORK/stunnel-b.conf"
bg in_ns "$NODE_A_NS" taskset -c $PROXY_CPU stunnel "$WORK/stunnel-a.conf"
bg in_ns "$NODE_B_NS" taskset -c $PROXY_CPU stunnel "$WORK/stunnel-b.conf"

log "ztunnel pair: CA, two ztunnels in in-pod mode, CNI for the client and server pods"
cat >"$WORK/mesh.yaml" <<YAML
trustDomain: cluster.local
workloads:
- {name: client, namespace: default, serviceAccount: client, node: node-a, addresses: [$(ip_of client)]}
- {name: server, namespace: default, serviceAccount: server, node: node-b, addresses: [$SERVER_IP]}
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
sleep 1

if [[ -n "${HOLD:-}" ]]; then # for investigation: keep the topology up and print how to reach it
  echo "HOLD client_ns=$CLIENT_NS server_ip=$SERVER_IP zt_pids=${ZT_PID[*]} work=$WORK" >&2
  sleep infinity
fi

# system -> "client-netns target-ip iperf-port tcp-echo-port http-port"
target() {
  case $1 in
    direct) echo "$PLAIN_NS $BACKEND_IP 5201 8078 8080" ;;
    tcp_relay) echo "$PLAIN_NS $NODE_A_IP 15201 18078 18080" ;;
    mtls_relay) echo "$PLAIN_NS $NODE_A_IP 25201 28078 28080" ;;
    ztunnel) echo "$CLIENT_NS $SERVER_IP 5201 8078 8080" ;;
  esac
}

ticks() { # utime+stime of the ztunnel JVMs
  local t=0
  for p in "${ZT_PID[@]}"; do
    for jp in $(pgrep -P "$p") "$p"; do
      [[ -r /proc/$jp/stat ]] && t=$((t + $(awk '{print $14 + $15}' "/proc/$jp/stat")))
    done
  done
  echo $t
}
rss_kb() { # RSS of the ztunnel JVMs
  local r=0
  for p in "${ZT_PID[@]}"; do
    for jp in $(pgrep -P "$p") "$p"; do
      [[ -r /proc/$jp/status ]] && r=$((r + $(awk '/VmRSS/ {print $2}' "/proc/$jp/status")))
    done
  done
  echo $r
}

# A failed measurement is reported and left out; the rest of the run goes on.
failed() { printf '    %-11s %-34s FAILED (%s)\n' "$1" "$2" "$3" >&2; echo "$1 $2 $3" >>"$WORK/failures.txt"; }

log "warm-up, not measured: the ztunnel JVMs compile their hot paths (C2 runs for ~30 s)"
read -r ns ip iport tport hport <<<"$(target ztunnel)"
in_ns "$ns" taskset -c $LOAD_CPU iperf3 -c "$ip" -p "$iport" -t 10 -P 2 >/dev/null 2>&1 || true
in_ns "$ns" taskset -c $LOAD_CPU "$FORTIO" load -quiet -qps 1000 -c 8 -t 20s "tcp://$ip:$tport" >/dev/null 2>&1 || true
in_ns "$ns" taskset -c $LOAD_CPU "$FORTIO" load -quiet -qps 0 -c 8 -t 5s -keepalive=false "http://$ip:$hport/" >/dev/null 2>&1 || true

for run in $(seq 1 $RUNS); do
  for system in direct tcp_relay mtls_relay ztunnel; do
    read -r ns ip iport tport hport <<<"$(target $system)"
    log "run $run/$RUNS: $system"
    for streams in 1 8; do
      if bps=$(in_ns "$ns" taskset -c $LOAD_CPU iperf3 -c "$ip" -p "$iport" -t "$SECS" -P "$streams" -J 2>/dev/null \
        | python3 -c 'import json,sys; print(json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"])' 2>/dev/null); then
        sample $system "throughput_${streams}stream_gbps" "$(python3 -c "print($bps/1e9)")" $run
      else
        failed $system "throughput_${streams}stream_gbps" "iperf3 gave no result"
      fi
    done
    for rate in $RATES; do
      for c in $CONNS; do
        t0=$(ticks)
        rm -f "$WORK/lat.json"
        in_ns "$ns" taskset -c $LOAD_CPU "$FORTIO" load -quiet -r 0.00001 -qps "$rate" -c "$c" -t "${SECS}s" \
          -json "$WORK/lat.json" "tcp://$ip:$tport" >/dev/null 2>&1 || true
        t1=$(ticks)
        if [[ ! -s "$WORK/lat.json" ]]; then
          failed $system "latency_${rate}rps_${c}c" "fortio gave no result"
          continue
        fi
        read -r p50 p90 p99 qps <<<"$(python3 - "$WORK/lat.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
p = {x["Percentile"]: x["Value"] for x in d["DurationHistogram"]["Percentiles"]}
print(p.get(50) * 1000, p.get(90) * 1000, p.get(99) * 1000, d["ActualQPS"])
PY
)"
        sample $system "latency_p50_ms_${rate}rps_${c}c" "$p50" $run
        sample $system "latency_p90_ms_${rate}rps_${c}c" "$p90" $run
        sample $system "latency_p99_ms_${rate}rps_${c}c" "$p99" $run
        if [[ $system == ztunnel && $rate == 1000 && $c == 4 ]]; then
          hz=$(getconf CLK_TCK)
          sample ztunnel cpu_cores_per_1000rps "$(python3 -c "print(($t1-$t0)/$hz/$SECS/($qps/1000))")" $run
        fi
      done
    done
    if cps=$(in_ns "$ns" taskset -c $LOAD_CPU "$FORTIO" load -quiet -qps 0 -c 8 -t "${SECS}s" -keepalive=false \
      -json "$WORK/conn.json" "http://$ip:$hport/" >/dev/null 2>&1 \
      && python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["ActualQPS"])' "$WORK/conn.json"); then
      sample $system connections_per_s "$cps" $run
    else
      failed $system connections_per_s "fortio gave no result"
    fi
  done
done

log "memory: ztunnel RSS idle, and with 1,000 idle tunneled connections"
idle=$(rss_kb)
sample ztunnel rss_idle_both_ztunnels_mb "$(python3 -c "print($idle/1024)")" 1
in_ns "$CLIENT_NS" python3 - "$SERVER_IP" 8078 1000 15 <<'PY' &
import socket, sys, time
ip, port, n, hold = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
socks = []
for _ in range(n):
    s = socket.create_connection((ip, port), timeout=10)
    socks.append(s)
time.sleep(hold)
PY
HOLDER=$!
sleep 10
held=$(rss_kb)
kill $HOLDER 2>/dev/null || true
sample ztunnel rss_per_1000_idle_tunnels_mb "$(python3 -c "print(($held-$idle)/1024)")" 1

MODE=""
OUT="$ROOT/bench/RESULTS.md"
if [[ $QUICK -eq 1 ]]; then
  MODE=" (--quick)"
  OUT="$WORK/RESULTS-quick.md"
  KEEP_WORK=1
fi
HEADER="Machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(lscpu | awk -F: '/Model name/ {gsub(/^ +/,"",$2); print $2}'); kernel $(uname -r); $(java -version 2>&1 | head -1). Date: $(date -u +%Y-%m-%dT%H:%MZ). Runs: $RUNS x ${SECS}s$MODE. Proxies on CPU $PROXY_CPU, load on CPU $LOAD_CPU."
python3 "$HERE/report.py" "$RAW" "$OUT" "$HEADER" "$WORK/failures.txt"
[[ $QUICK -eq 1 ]] || cp "$RAW" "$ROOT/bench/results-samples.jsonl"
log "results: $OUT"
