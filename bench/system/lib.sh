# What the whole-system benchmark suites share; sourced (not run) by ztunnel-suite.sh,
# waypoint-suite.sh and wasm-suite.sh after they set HERE and ROOT.
# Globals the functions read, set by the suite: WORK (its work directory), RAW (its samples file),
# PIDS (background processes to stop at exit), MESH, PROXY_CPU, LOAD_CPU, SECS, QUICK.
# SAMPLE_COLS sets the widths of the system and metric columns in the console log.

# --quick as the first argument: QUICK=1.
parse_quick() {
  QUICK=0
  [[ "${1:-}" == "--quick" ]] && QUICK=1
  return 0
}

require_root() { # suite-name
  if [[ $(id -u) -ne 0 ]]; then
    echo "bench $1: needs root (network namespaces, iptables)" >&2
    exit 1
  fi
}

# The load generators (tools.sh installs them once): sets BIN and FORTIO.
load_tools() {
  BIN="$(bash "$HERE/tools.sh" | tail -1)"
  FORTIO="$BIN/fortio"
}

# Envoy 1.40 (tools/envoy.sh installs it once): prints its path.
envoy_path() { bash "$ROOT/tools/envoy.sh" | tail -1; }

# Proxies on CPU 0, load generators on CPU 1 when there is one: sets CPUS, PROXY_CPU, LOAD_CPU.
pin_cpus() {
  CPUS=$(nproc)
  PROXY_CPU=0
  LOAD_CPU=$((CPUS > 1 ? 1 : 0))
}

# A random short prefix for the suite's namespaces, so runs never collide: prefix letters.
random_prefix() { printf '%s%04x' "$1" $((RANDOM % 65536)); }

# A fresh work directory (mktemp pattern prefix) for the suite's files: sets WORK, RAW (the
# samples file there) and PIDS (empty).
start_work() { # path-prefix
  WORK="$(mktemp -d "$1.XXXXXX")"
  RAW="$WORK/samples.jsonl"
  PIDS=()
}

# The EXIT trap of the suites that build a `mesh netns` topology under PREFIX: stops their
# processes, takes the namespaces down (which also kills whatever still runs inside them, such as
# the waypoint rig's Envoy) and removes the work directory.
cleanup_netns_suite() {
  set +e
  stop_pids 1
  "$MESH" netns down --prefix "$PREFIX" >/dev/null 2>&1
  remove_work
}

# Stops the given processes, then those in PIDS: TERM, a grace period, KILL.
stop_pids() { # grace-seconds [pid...]
  local grace=$1 p
  shift
  for p in "$@" "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
  sleep "$grace"
  for p in "$@" "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
}

# The work directory goes unless KEEP_WORK is set (a --quick run keeps its report there).
remove_work() { [[ -n "${KEEP_WORK:-}" ]] || rm -rf "$WORK"; }

log() { echo "==> $*" >&2; }
in_ns() { local ns=$1; shift; ip netns exec "$ns" "$@"; }
bg() { "$@" >>"$WORK/bg.log" 2>&1 & PIDS+=($!); }

sample() { # system metric value run
  printf '{"system":"%s","metric":"%s","value":%s,"run":%s}\n' "$1" "$2" "$3" "$4" >>"$RAW"
  # shellcheck disable=SC2059 # the format is the suite's column widths
  printf "    ${SAMPLE_COLS:-%-10s %-30s} %s\n" "$1" "$2" "$3" >&2
}
# A failed measurement is reported and left out; the rest of the run goes on.
failed() { # system metric reason
  # shellcheck disable=SC2059
  printf "    ${SAMPLE_COLS:-%-10s %-30s} FAILED (%s)\n" "$1" "$2" "$3" >&2
  echo "$1 $2 $3" >>"$WORK/failures.txt"
}

# The systems in the order of one run: rotated by the run number, so no system always runs first
# or right after a given other.
rotated() { # run system...
  local run=$1 i
  shift
  local list=("$@") order=()
  for i in "${!list[@]}"; do order+=("${list[$(((i + run - 1) % ${#list[@]}))]}"); done
  echo "${order[*]}"
}

# Topology as `mesh netns up` prints it into $WORK/topology.txt.
ns_of() { awk -v n="$1" '$1=="pod" && $2==n {print $4}' "$WORK/topology.txt"; }
ip_of() { awk -v n="$1" '$1=="pod" && $2==n {print $6}' "$WORK/topology.txt"; }
path_of() { awk -v n="$1" '$1=="pod" && $2==n {gsub(/[()]/,"",$NF); print $NF}' "$WORK/topology.txt"; }
node_ns() { awk -v n="$1" '$1=="node" && $2==n {print $4}' "$WORK/topology.txt"; }
bridge_ip() { awk -v n="$1" '$1=="node" && $2==n {print $7}' "$WORK/topology.txt"; }

# The CA, two ztunnels in in-pod mode (node-a, node-b; admin on NODE_A_ADMIN, NODE_B_ADMIN) and
# the CNI add of pod default/client (node a) and default/server (node b), configured by
# $WORK/mesh.yaml; waits until both ztunnels are ready. Sets ZT_PID[node].
start_ztunnel_pair() {
  local node admin spec
  for node in node-a node-b; do
    "$MESH" ca token --state-dir "$WORK/ca" --node "$node" --out "$WORK/$node.token" >/dev/null
  done
  bg taskset -c $PROXY_CPU "$MESH" ca serve --state-dir "$WORK/ca" --config "$WORK/mesh.yaml" --listen 127.0.0.1:$CA_PORT
  for _ in $(seq 1 150); do
    [[ -f "$WORK/ca/trust-bundle.pem" ]] && (exec 3<>/dev/tcp/127.0.0.1/$CA_PORT) 2>/dev/null && break
    sleep 0.2
  done
  declare -gA ZT_PID
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
}

# CPU accounting from /proc: utime+stime (clock ticks) of these processes and their children
# (all threads; "$MESH ztunnel" execs java, so the JVM may be the child).
proc_ticks() { # pid...
  local t=0 p jp
  for p in "$@"; do
    for jp in $(pgrep -P "$p") "$p"; do
      [[ -r /proc/$jp/stat ]] && t=$((t + $(awk '{print $14 + $15}' "/proc/$jp/stat")))
    done
  done
  echo $t
}
# Resident memory (kB) of these processes and their children.
proc_rss_kb() { # pid...
  local r=0 p jp
  for p in "$@"; do
    for jp in $(pgrep -P "$p") "$p"; do
      [[ -r /proc/$jp/status ]] && r=$((r + $(awk '/VmRSS/ {print $2}' "/proc/$jp/status")))
    done
  done
  echo $r
}
# CPU cores per 1000 rps over a SECS-long window, from two proc_ticks readings.
cores_per_1000rps() { # ticks-before ticks-after achieved-rps
  python3 -c "print(($2-$1)/$(getconf CLK_TCK)/$SECS/($3/1000))"
}

# One SECS-long fortio run at a fixed rate (10 µs histogram resolution) into $WORK/lat.json, in a
# network namespace or, without one, on the host. The file is removed first, so an empty or
# missing one means no result; fortio's exit status is not the measure.
fortio_fixed_rate() { # rate connections url [netns]
  local in=()
  [[ -n "${4:-}" ]] && in=(ip netns exec "$4")
  rm -f "$WORK/lat.json"
  "${in[@]}" taskset -c $LOAD_CPU "$FORTIO" load -quiet -r 0.00001 -qps "$1" -c "$2" -t "${SECS}s" \
    -json "$WORK/lat.json" "$3" >/dev/null 2>&1 || true
}
# fortio's JSON result: "p50 p90 p99 achieved-qps count-of-200 count-of-all", latency times scale
# (1000: ms, 1e6: µs).
fortio_summary() { # json-file scale
  python3 - "$1" "$2" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
scale = float(sys.argv[2])
p = {x["Percentile"]: x["Value"] for x in d["DurationHistogram"]["Percentiles"]}
codes = d.get("RetCodes", {})
print(p[50] * scale, p[90] * scale, p[99] * scale, d["ActualQPS"], codes.get("200", 0), sum(codes.values()))
PY
}

# The machine, for the report headers.
cpu_model() { lscpu | awk -F: '/Model name/ {gsub(/^ +/,"",$2); print $2}'; }
java_version() { java -version 2>&1 | head -1; }
envoy_version() { "$1" --version | awk 'NF {print $NF}'; }
load_average() { cut -d' ' -f1-3 /proc/loadavg; }
utc_now() { date -u +%Y-%m-%dT%H:%MZ; }

# Where a report goes: bench/RESULTS.md, or for --quick a file in the work directory, which is
# then kept; "copy" starts that file from the current RESULTS.md (so the other suites' sections
# stay around it). Sets MODE (for the header) and OUT.
results_target() { # [copy]
  MODE=""
  OUT="$ROOT/bench/RESULTS.md"
  if [[ $QUICK -eq 1 ]]; then
    MODE=" (--quick)"
    OUT="$WORK/RESULTS-quick.md"
    KEEP_WORK=1
    if [[ "${1:-}" == copy && -f "$ROOT/bench/RESULTS.md" ]]; then cp "$ROOT/bench/RESULTS.md" "$OUT"; fi
  fi
  return 0
}
