#!/usr/bin/env bash
# Builds the lab cluster's Go programs from the Go module proxy, once per machine.
#
# Each component is a wrapper module under lab/build/<component> (or lab/<component> for our own
# Go code). Its binaries go to $AMBIENT_CACHE/lab/<component>-<key>/, where <key> hashes the
# module's files and the Go version, so a changed pin rebuilds and an unchanged one is free.
# Prints the bin directory of every component on stdout as "<component>=<dir>".
#
# usage: lab/build/build.sh [component...]   (default: all but conformance, which ./mesh
#        conformance builds: the Gateway API conformance suite from conformance/suite)
set -euo pipefail

LAB="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="${AMBIENT_CACHE:-$HOME/.cache/ambient}/lab"
mkdir -p "$CACHE"

if ! command -v go >/dev/null 2>&1; then
  echo "lab build: go not found; install Go 1.25+ (the lab's programs are built from the Go module proxy)" >&2
  exit 1
fi

KUBE_VERSION=v1.35.4

# component -> module directory and packages to build
module_dir() {
  case "$1" in
    kubernetes | etcd | coredns | echo | crds | istio-echo) echo "$LAB/build/$1" ;;
    labctl) echo "$LAB/labctl" ;;
    conformance) echo "$LAB/../conformance/suite" ;;
    *) echo "lab build: unknown component '$1'" >&2; return 1 ;;
  esac
}

packages() {
  case "$1" in
    kubernetes)
      for c in kube-apiserver kube-controller-manager kube-scheduler kube-proxy kubectl; do
        echo "k8s.io/kubernetes/cmd/$c"
      done
      ;;
    etcd) echo "go.etcd.io/etcd/server/v3" ;;
    coredns) echo "github.com/coredns/coredns" ;;
    echo)
      echo "sigs.k8s.io/gateway-api/conformance/echo-basic"
      ;;
    istio-echo)
      echo "istio.io/istio/pkg/test/echo/cmd/server"
      echo "istio.io/istio/pkg/test/echo/cmd/client"
      ;;
    labctl) echo "." ;;
  esac
}

ldflags() {
  local flags="-s -w"
  if [[ $1 == kubernetes ]]; then
    local minor=${KUBE_VERSION#v1.}
    minor=${minor%%.*}
    local date
    date=$(date -u +%Y-%m-%dT%H:%M:%SZ)
    for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
      flags+=" -X $pkg.gitVersion=$KUBE_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
      flags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=$date -X $pkg.gitCommit=module-proxy"
    done
  fi
  echo "$flags"
}

# The CRDs are files inside pinned modules: the Gateway API's standard and experimental channels
# and Istio's generated CRDs.
copy_crds() {
  local dir=$1 out=$2 gw istio
  gw=$(cd "$dir" && go list -m -f '{{.Dir}}' sigs.k8s.io/gateway-api)
  istio=$(cd "$dir" && go list -m -f '{{.Dir}}' istio.io/api)
  if [[ -z $gw || -z $istio ]]; then
    (cd "$dir" && go mod download sigs.k8s.io/gateway-api istio.io/api)
    gw=$(cd "$dir" && go list -m -f '{{.Dir}}' sigs.k8s.io/gateway-api)
    istio=$(cd "$dir" && go list -m -f '{{.Dir}}' istio.io/api)
  fi
  mkdir -p "$out/gateway-api-standard" "$out/gateway-api-experimental" "$out/istio"
  cp "$gw"/config/crd/standard/gateway.networking.k8s.io_*.yaml "$out/gateway-api-standard/"
  cp "$gw"/config/crd/experimental/gateway.networking*.yaml "$out/gateway-api-experimental/"
  cp "$istio/kubernetes/customresourcedefinitions.gen.yaml" "$out/istio/istio-crds.yaml"
  chmod -R u+w "$out"
}

# Istio's echo image carries a test serving certificate at /cert.crt and /cert.key (its
# Dockerfile.app copies tests/testdata/certs/dns/); the image table mounts these.
copy_istio_certs() {
  local dir=$1 out=$2 istio
  istio=$(cd "$dir" && go list -m -f '{{.Dir}}' istio.io/istio)
  mkdir -p "$out/certs"
  cp "$istio/tests/testdata/certs/dns/cert-chain.pem" "$out/certs/cert.crt"
  cp "$istio/tests/testdata/certs/dns/key.pem" "$out/certs/cert.key"
  chmod -R u+w "$out/certs"
}

cache_key() {
  local dir=$1
  # Relative paths, so every checkout of the same sources shares one build.
  { go version; cd "$dir" && find . -maxdepth 3 -type f \( -name '*.go' -o -name 'go.mod' -o -name 'go.sum' \) \
      -not -path '*/testdata/*' | LC_ALL=C sort | xargs sha256sum; } | sha256sum | cut -c1-16
}

build_one() {
  local comp=$1 dir key out
  dir=$(module_dir "$comp")
  key=$(cache_key "$dir")
  out="$CACHE/$comp-$key"
  if [[ ! -f "$out/.complete" ]]; then
    echo "lab build: building $comp into $out (first time on this machine) ..." >&2
    local start=$SECONDS tmp="$out.tmp.$$"
    rm -rf "$tmp" && mkdir -p "$tmp"
    if [[ $comp == crds ]]; then
      copy_crds "$dir" "$tmp"
    elif [[ $comp == conformance ]]; then
      # The upstream suite is a Go test: one test binary holds it and its embedded manifests.
      (cd "$dir" && CGO_ENABLED=0 go test -c -p "$(nproc)" -trimpath -o "$tmp/gateway-conformance.test" .)
    else
      # shellcheck disable=SC2046
      (cd "$dir" && CGO_ENABLED=0 go build -p "$(nproc)" -trimpath -ldflags "$(ldflags "$comp")" \
        -o "$tmp/" $(packages "$comp"))
    fi
    if [[ $comp == istio-echo ]]; then copy_istio_certs "$dir" "$tmp"; fi
    if [[ $comp == etcd ]]; then mv "$tmp/server" "$tmp/etcd"; fi
    echo "$((SECONDS - start))" >"$tmp/.build-seconds"
    touch "$tmp/.complete"
    rm -rf "$out" && mv "$tmp" "$out"
    echo "lab build: $comp built in $((SECONDS - start)) s" >&2
  fi
  echo "$comp=$out"
}

comps=("$@")
if [[ ${#comps[@]} -eq 0 ]]; then comps=(etcd kubernetes coredns echo istio-echo crds labctl); fi
for c in "${comps[@]}"; do build_one "$c"; done
