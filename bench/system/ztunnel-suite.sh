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
# shellcheck source=lib.sh
source "$HERE/lib.sh"
MESH="$ROOT/mesh"
parse_quick "$@"
require_root ztunnel

load_tools
"$MESH" build -q >/dev/null

if [[ $QUICK -eq 1 ]]; then RUNS=1; SECS=3; RATES="1000"; CONNS="4 64"; else RUNS=3; SECS=10; RATES="1000 5000"; CONNS="4 64"; fi
pin_cpus
PREFIX="$(random_prefix bz)"
start_work /tmp/ambient-bench
SAMPLE_COLS="%-11s %-34s"
CA_PORT=15412
NODE_A_ADMIN=127.0.0.81
NODE_B_ADMIN=127.0.0.82
export MESH_JAVA_OPTS="${MESH_JAVA_OPTS:--Xms32m -Xmx256m -XX:+UseSerialGC}"

trap cleanup_netns_suite EXIT INT TERM

log "topology: prefix $PREFIX, work dir $WORK"
"$MESH" netns up --prefix "$PREFIX" --pod a:client --pod a:plain --pod b:server --pod b:backend >"$WORK/topology.txt"
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
start_ztunnel_pair
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

ticks() { proc_ticks "${ZT_PID[@]}"; }  # utime+stime of the ztunnel JVMs
rss_kb() { proc_rss_kb "${ZT_PID[@]}"; } # RSS of the ztunnel JVMs

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
        fortio_fixed_rate "$rate" "$c" "tcp://$ip:$tport" "$ns"
        t1=$(ticks)
        if [[ ! -s "$WORK/lat.json" ]]; then
          failed $system "latency_${rate}rps_${c}c" "fortio gave no result"
          continue
        fi
        read -r p50 p90 p99 qps _ _ <<<"$(fortio_summary "$WORK/lat.json" 1000)"
        sample $system "latency_p50_ms_${rate}rps_${c}c" "$p50" $run
        sample $system "latency_p90_ms_${rate}rps_${c}c" "$p90" $run
        sample $system "latency_p99_ms_${rate}rps_${c}c" "$p99" $run
        if [[ $system == ztunnel && $rate == 1000 && $c == 4 ]]; then
          sample ztunnel cpu_cores_per_1000rps "$(cores_per_1000rps "$t0" "$t1" "$qps")" $run
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

results_target
HEADER="Machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(cpu_model); kernel $(uname -r); $(java_version). Date: $(utc_now). Runs: $RUNS x ${SECS}s$MODE. Proxies on CPU $PROXY_CPU, load on CPU $LOAD_CPU."
python3 "$HERE/report.py" "$RAW" "$OUT" "$HEADER" "$WORK/failures.txt"
[[ $QUICK -eq 1 ]] || cp "$RAW" "$ROOT/bench/results-samples.jsonl"
log "results: $OUT"
