#!/usr/bin/env bash
# ./mesh conformance: the upstream Gateway API conformance suite (MESH-HTTP, MESH-GRPC) against the mesh on
# the lab cluster, as a user would run it against Istio ambient. See conformance/README.md.
#
#   ./mesh conformance [--run-test NAME] [--report FILE] [--keep] [--debug]
#
#   --run-test NAME  one test (its ShortName, e.g. MeshHTTPRouteWeight) instead of the profile
#   --report FILE    where the ConformanceReport goes
#                    (default conformance/reports/<gateway-api version>/ambient-mesh-report.yaml)
#   --keep           leave the lab, the mesh and the test namespaces running afterwards
#   --debug          the suite's debug logging
#
# Steps: build the suite (once per machine), bring the lab up unless it is, install the CRDs and
# the mesh, enrol the two mesh namespaces (ambient, a waypoint Gateway each), run the suite, print
# the report's summary. Exit status: the suite's. Root only (the lab is); run it alone, not next to
# the lab tests, which share the one lab of this machine.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
STATE="${AMBIENT_LAB_STATE:-/run/ambient-lab}"
export KUBECONFIG="$STATE/admin.kubeconfig"

# The mesh namespaces of the suite's mesh manifests; each gets a waypoint named "waypoint".
NAMESPACES=(gateway-conformance-mesh gateway-conformance-mesh-consumer)
WAYPOINT=waypoint

# What the mesh claims. Mesh features are announced here, not on a GatewayClass: the waypoint
# classes are not the suite's -gateway-class (the mesh runs no ingress Gateway).
FEATURES=(
  Mesh HTTPRoute GRPCRoute
  MeshClusterIPMatching MeshConsumerRoute
  MeshHTTPRouteRewritePath MeshHTTPRouteSchemeRedirect MeshHTTPRouteRedirectPort
  MeshHTTPRouteRedirectPath MeshHTTPRouteBackendRequestHeaderModification
  MeshHTTPRouteQueryParamMatching MeshHTTPRouteNamedRouteRule
  HTTPRouteResponseHeaderModification HTTPRouteParentRefPort
  HTTPRoute303RedirectStatusCode HTTPRoute307RedirectStatusCode HTTPRoute308RedirectStatusCode
)

run_test="" report="" keep=0 debug=false
while [[ $# -gt 0 ]]; do
  case "$1" in
    --run-test) run_test="$2"; shift 2 ;;
    --report) report="$(realpath -m "$2")"; shift 2 ;;
    --keep) keep=1; shift ;;
    --debug) debug=true; shift ;;
    -h | --help) sed -n '2,17p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "mesh conformance: unknown option '$1' (see --help)" >&2; exit 2 ;;
  esac
done

if [[ $(id -u) -ne 0 ]]; then
  echo "mesh conformance: must run as root (the lab cluster creates network namespaces); try: sudo ./mesh conformance" >&2
  exit 1
fi

say() { echo "conformance: $*" >&2; }
k() { "$ROOT/mesh" lab kubectl "$@"; }

suite_dir=$(bash "$ROOT/lab/build/build.sh" conformance | sed -n 's/^conformance=//p')
SUITE="$suite_dir/gateway-conformance.test"
[[ -x $SUITE ]] || { say "building the suite failed (see above)"; exit 1; }
version=$(sed -n 's/^require sigs.k8s.io\/gateway-api\/conformance \(v[^ ]*\).*/\1/p' "$ROOT/conformance/suite/go.mod")
[[ -n $report ]] || report="$ROOT/conformance/reports/$version/ambient-mesh-report.yaml"
mkdir -p "$(dirname "$report")"

started_lab=0
if "$ROOT/mesh" lab status >/dev/null 2>&1; then
  say "using the running lab cluster"
else
  say "starting the lab cluster"
  "$ROOT/mesh" lab up >&2
  started_lab=1
fi

cleanup() {
  local rc=$?
  if [[ $keep -eq 1 ]]; then
    say "kept: the lab, the mesh and namespaces ${NAMESPACES[*]} (KUBECONFIG=$KUBECONFIG)"
  elif [[ $started_lab -eq 1 ]]; then
    "$ROOT/mesh" lab down >&2 || true
  else
    k delete namespace "${NAMESPACES[@]}" --ignore-not-found --wait=false >/dev/null 2>&1 || true
  fi
  exit "$rc"
}
trap cleanup EXIT

say "Gateway API CRDs (experimental channel, $version) and Istio's"
"$ROOT/mesh" lab crds >/dev/null
say "installing the mesh"
"$ROOT/mesh" install --kubeconfig "$KUBECONFIG" >&2

say "enrolling ${NAMESPACES[*]}: ambient, waypoint '$WAYPOINT'"
for ns in "${NAMESPACES[@]}"; do
  k apply -f - >/dev/null <<EOF
apiVersion: v1
kind: Namespace
metadata:
  name: $ns
  labels:
    gateway-conformance: mesh
    istio.io/dataplane-mode: ambient
    istio.io/use-waypoint: $WAYPOINT
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  name: $WAYPOINT
  namespace: $ns
spec:
  gatewayClassName: istio-waypoint
  listeners:
  - name: mesh
    port: 15008
    protocol: HBONE
EOF
done
for ns in "${NAMESPACES[@]}"; do
  k -n "$ns" wait --for=condition=Programmed "gateway/$WAYPOINT" --timeout=180s >/dev/null
done

features=$(IFS=,; echo "${FEATURES[*]}")
args=(
  -test.run '^TestGatewayAPIConformance$' -test.v -test.timeout 40m
  -conformance-profiles MESH-HTTP,MESH-GRPC
  -supported-features "$features"
  # The suite writes these labels onto the namespaces it applies, so they stay enrolled.
  -namespace-labels "istio.io/dataplane-mode=ambient,istio.io/use-waypoint=$WAYPOINT"
  -report-output "$report"
  -organization ambient -project ambient-java -url https://github.com/ambient-mesh/ambient
  -version "$(git -C "$ROOT" describe --always --dirty 2>/dev/null || echo dev)"
  -contact "see README.md"
  -debug="$debug"
  # The suite deletes the namespaces it applied, ours included, unless told to keep them.
  -cleanup-base-resources="$([[ $keep -eq 1 ]] && echo false || echo true)"
)
[[ -n $run_test ]] && args+=(-run-test "$run_test")

log="${report%.yaml}.log"
say "running the suite (log: $log)"
set +e
(cd "$suite_dir" && "$SUITE" "${args[@]}") >"$log" 2>&1
rc=$?
set -e

grep -E '^\s*--- (PASS|FAIL)' "$log" | grep -v '/.*/' | sed 's/^ */  /' >&2 || true
if [[ -f $report ]]; then
  say "report: $report"
  sed -n '/^profiles:/,$p' "$report" >&2
else
  say "no report written; the end of the log:"
  tail -30 "$log" >&2
fi
exit "$rc"
