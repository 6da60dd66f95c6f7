#!/usr/bin/env bash
# Installs the load generators and reference proxies the whole-system benchmarks use:
# iperf3, socat, stunnel, tcpdump from Debian; fortio from the Go module proxy, built once and
# cached outside the repository.
set -euo pipefail

CACHE="${AMBIENT_CACHE:-$HOME/.cache/ambient}"
BIN="$CACHE/bin"
FORTIO_VERSION="v1.66.0" # newer releases need a module the Go proxy does not serve
mkdir -p "$BIN"

need=()
for pair in iperf3:iperf3 socat:socat stunnel4:stunnel tcpdump:tcpdump; do
  pkg="${pair%%:*}" cmd="${pair##*:}"
  command -v "$cmd" >/dev/null 2>&1 || need+=("$pkg")
done
if [[ ${#need[@]} -gt 0 ]]; then
  if [[ $(id -u) -ne 0 ]]; then
    echo "bench: missing ${need[*]} and not root; install them with apt-get" >&2
    exit 1
  fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi

if [[ ! -x "$BIN/fortio" ]] || ! "$BIN/fortio" version 2>/dev/null | grep -q "${FORTIO_VERSION#v}"; then
  command -v go >/dev/null 2>&1 || { echo "bench: go is needed to build fortio" >&2; exit 1; }
  echo "bench: building fortio $FORTIO_VERSION into $BIN (once)" >&2
  (cd "$(mktemp -d)" && GOBIN="$BIN" GOFLAGS=-mod=mod go install "fortio.org/fortio@$FORTIO_VERSION")
fi
echo "$BIN"
