#!/usr/bin/env bash
# The Wasm filter benchmark: one Envoy (the pinned PyPI build, --concurrency 1) in front of a fortio
# HTTP server, measured with four filter chains, alternating, each run on a freshly started Envoy:
#   none       HTTP connection manager + router only (the baseline)
#   rbac       Envoy's native RBAC filters with the same policy as authz
#   wasm_noop  a Java Wasm filter that does nothing (the fixed cost of any Java filter)
#   authz      the Java authz filter (TeaVM -> Wasm, V8)
#   telemetry  the Java telemetry filter (Istio's four metrics, 13 labels)
# Each run rotates the order of the systems. fortio drives a fixed rate; reported: p50/p90/p99 latency and their difference to the baseline,
# Envoy CPU per 1000 rps (/proc/<pid>/stat utime+stime over the run), start-up time (Envoy start to
# /ready), module sizes. Envoy is pinned to CPU 0, fortio (client and server) to CPU 1.
# Usage: bench/system/wasm-suite.sh [--quick]      Writes the Wasm section of bench/RESULTS.md and
# bench/wasm-samples.jsonl (raw samples).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
# shellcheck source=lib.sh
source "$HERE/lib.sh"
parse_quick "$@"

load_tools
ENVOY="$(envoy_path)"
WASM_DIR="$ROOT/wasm-filters/target/wasm"
echo "==> building the Wasm modules" >&2
(cd "$ROOT" && ./mvnw -q -B -pl wasm-filters -am process-classes >&2)

if [[ $QUICK -eq 1 ]]; then RUNS=2; SECS=5; RATES="1000"; else RUNS=5; SECS=10; RATES="1000 2000"; fi
CONNS=4
SYSTEMS="none rbac wasm_noop authz telemetry"
pin_cpus
start_work /tmp/ambient-wasm-bench
ENVOY_PID=""
SAMPLE_COLS="%-10s %-30s"

cleanup() {
  set +e
  stop_pids 0.5 ${ENVOY_PID:+"$ENVOY_PID"}
  remove_work
}
trap cleanup EXIT INT TERM

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
now_ms() { date +%s%3N; }

BACKEND_PORT=$(free_port)
log "backend: fortio server on 127.0.0.1:$BACKEND_PORT (CPU $LOAD_CPU)"
taskset -c $LOAD_CPU "$FORTIO" server -http-port "127.0.0.1:$BACKEND_PORT" -grpc-port disabled \
  -redirect-port disabled -tcp-port disabled -udp-port disabled >"$WORK/fortio-server.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 1 50); do curl -sf -o /dev/null "http://127.0.0.1:$BACKEND_PORT/" && break; sleep 0.1; done

for pair in wasm_noop:noop authz:authz telemetry:telemetry; do
  system=${pair%%:*} m=${pair##*:}
  sample "$system" module_bytes "$(stat -c %s "$WASM_DIR/$m.wasm")" 1
  sample "$system" module_gzip_bytes "$(gzip -9c "$WASM_DIR/$m.wasm" | wc -c)" 1
done

# Starts Envoy for one system, waits for /ready, records the start-up time. Sets ENVOY_PID, PORT.
start_envoy() { # system run
  local system=$1 run=$2 admin
  admin=$(free_port); PORT=$(free_port)
  python3 "$HERE/wasm_bootstrap.py" "$system" "$WASM_DIR" "$BACKEND_PORT" "$admin" "$PORT" >"$WORK/$system.json"
  local t0; t0=$(now_ms)
  taskset -c $PROXY_CPU "$ENVOY" -c "$WORK/$system.json" --concurrency 1 --disable-hot-restart \
    -l warning --log-path "$WORK/envoy-$system-$run.log" >/dev/null 2>&1 &
  ENVOY_PID=$!
  for _ in $(seq 1 600); do
    if ! kill -0 "$ENVOY_PID" 2>/dev/null; then
      tail -20 "$WORK/envoy-$system-$run.log" >&2; ENVOY_PID=""; return 1
    fi
    curl -sf -o /dev/null "http://127.0.0.1:$admin/ready" && break
    sleep 0.01
  done
  sample "$system" startup_ms "$(($(now_ms) - t0))" "$run"
  ADMIN=$admin
}
stop_envoy() {
  [[ -n "$ENVOY_PID" ]] || return 0
  kill "$ENVOY_PID" 2>/dev/null || true
  for _ in $(seq 1 50); do kill -0 "$ENVOY_PID" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$ENVOY_PID" 2>/dev/null || true
  wait "$ENVOY_PID" 2>/dev/null || true
  ENVOY_PID=""
}

# The policy must hold in every system that enforces it, or the numbers compare different work.
check_policy() { # system
  local allowed denied
  allowed=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/api/items")
  denied=$(curl -s -o /dev/null -w '%{http_code}' -H 'x-tenant: blocked' "http://127.0.0.1:$PORT/api/items")
  local other; other=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/other")
  case $1 in
    rbac | authz) [[ $allowed == 200 && $denied == 403 && $other == 403 ]] ;;
    *) [[ $allowed == 200 && $denied == 200 ]] ;;
  esac || { failed "$1" policy_check "allowed=$allowed denied=$denied other=$other"; return 1; }
}

for run in $(seq 1 $RUNS); do
  # shellcheck disable=SC2086
  for system in $(rotated $run $SYSTEMS); do
    log "run $run/$RUNS: $system"
    if ! start_envoy "$system" "$run"; then failed "$system" start "envoy did not start"; continue; fi
    if check_policy "$system"; then
      # Warm-up, not measured: V8 tiers up the module's hot functions.
      taskset -c $LOAD_CPU "$FORTIO" load -quiet -qps 1000 -c $CONNS -t 2s "http://127.0.0.1:$PORT/api/items" >/dev/null 2>&1 || true
      for rate in $RATES; do
        t0=$(proc_ticks "$ENVOY_PID")
        fortio_fixed_rate "$rate" $CONNS "http://127.0.0.1:$PORT/api/items"
        t1=$(proc_ticks "$ENVOY_PID")
        if [[ ! -s "$WORK/lat.json" ]]; then failed "$system" "latency_${rate}rps" "fortio gave no result"; continue; fi
        read -r p50 p90 p99 qps _ _ <<<"$(fortio_summary "$WORK/lat.json" 1e6)"
        sample "$system" "latency_p50_us_${rate}rps" "$p50" "$run"
        sample "$system" "latency_p90_us_${rate}rps" "$p90" "$run"
        sample "$system" "latency_p99_us_${rate}rps" "$p99" "$run"
        sample "$system" "cpu_cores_per_1000rps_at_${rate}rps" "$(cores_per_1000rps "$t0" "$t1" "$qps")" "$run"
        sample "$system" "achieved_rps_at_${rate}rps" "$qps" "$run"
      done
      if [[ $system == telemetry ]]; then
        n=$(curl -s "http://127.0.0.1:$ADMIN/stats/prometheus" | awk '/^istio_requests_total\{/ {s += $NF} END {print s + 0}')
        sample telemetry istio_requests_total_after_run "$n" "$run"
      fi
    fi
    sample "$system" rss_after_run_mb "$(awk '/VmRSS/ {print $2 / 1024}' "/proc/$ENVOY_PID/status")" "$run"
    stop_envoy
  done
done

MODE=""
[[ $QUICK -eq 1 ]] && MODE=" (--quick)"
LOADAVG=$(load_average)
HEADER="Machine: $CPUS cores shared with other work (load average at the end: $LOADAVG), $(cpu_model); kernel $(uname -r); Envoy $(envoy_version "$ENVOY"). Date: $(utc_now). Runs: $RUNS x ${SECS}s per rate$MODE, $CONNS connections, Envoy --concurrency 1 on CPU $PROXY_CPU, fortio client and server on CPU $LOAD_CPU."
python3 "$HERE/wasm_report.py" "$RAW" "$ROOT/bench/RESULTS.md" "$HEADER" "$WORK/failures.txt"
cp "$RAW" "$ROOT/bench/wasm-samples.jsonl"
log "results: bench/RESULTS.md (section 'Wasm filters in Envoy'), raw samples: bench/wasm-samples.jsonl"
