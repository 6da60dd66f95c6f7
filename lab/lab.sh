#!/usr/bin/env bash
# The lab cluster's front end, run as "./mesh lab <command>":
#   up [labctl up flags]   build what is missing (cached per machine), then start the cluster
#   down                   stop it and remove everything it created
#   status                 health of every component
#   kubectl ...            the built kubectl, with the lab's admin kubeconfig
#   crds [standard|experimental]
#                          install the pinned Gateway API CRDs (default: the experimental channel,
#                          a superset of standard) and the Istio CRDs
#   build [component...]   only build (etcd kubernetes coredns echo istio-echo crds labctl; default all)
# See lab/README.md.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="$ROOT/lab/build/build.sh"
STATE="${AMBIENT_LAB_STATE:-/run/ambient-lab}"

need_root() {
  if [[ $(id -u) -ne 0 ]]; then
    echo "mesh lab $1: must run as root (it creates network namespaces, a bridge, routes and iptables rules); try: sudo ./mesh lab $1" >&2
    exit 1
  fi
}

# bin_dir <component> reads build.sh's "<component>=<dir>" output.
declare -A DIRS=()
build() {
  local line
  while IFS= read -r line; do
    DIRS[${line%%=*}]=${line#*=}
  done < <(bash "$BUILD" "$@")
  for c in "$@"; do
    if [[ -z ${DIRS[$c]:-} ]]; then
      echo "mesh lab: building $c failed (see the output above)" >&2
      exit 1
    fi
  done
}

cmd="${1:-help}"
[[ $# -gt 0 ]] && shift
case "$cmd" in
  up)
    need_root up
    comps=(etcd kubernetes coredns echo istio-echo labctl)
    build "${comps[@]}"
    args=()
    for c in "${comps[@]}"; do args+=(--bin "$c=${DIRS[$c]}"); done
    exec "${DIRS[labctl]}/labctl" up "${args[@]}" --repo "$ROOT" "$@"
    ;;
  down)
    need_root down
    build labctl
    exec "${DIRS[labctl]}/labctl" down "$@"
    ;;
  status)
    build labctl
    exec "${DIRS[labctl]}/labctl" status "$@"
    ;;
  kubectl)
    build kubernetes
    KUBECONFIG="$STATE/admin.kubeconfig" exec "${DIRS[kubernetes]}/kubectl" "$@"
    ;;
  crds)
    channel="${1:-experimental}"
    if [[ $channel != standard && $channel != experimental ]]; then
      echo "mesh lab crds: channel must be 'standard' or 'experimental', got '$channel'" >&2
      exit 2
    fi
    build kubernetes crds
    # Server-side apply: some of these CRDs are larger than the annotation client-side apply keeps.
    KUBECONFIG="$STATE/admin.kubeconfig" "${DIRS[kubernetes]}/kubectl" apply --server-side --force-conflicts \
      -f "${DIRS[crds]}/gateway-api-$channel/" -f "${DIRS[crds]}/istio/"
    ;;
  build)
    bash "$BUILD" "$@"
    ;;
  help | -h | --help)
    sed -n '2,11p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
    ;;
  *)
    echo "mesh lab: unknown command '$cmd' (up, down, status, kubectl ..., crds, build)" >&2
    exit 2
    ;;
esac
