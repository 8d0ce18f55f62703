#!/usr/bin/env bash
# Installs the npm dependencies when node_modules is missing or older than package-lock.json.
# (.npmrc keeps onnxruntime-node from downloading CUDA binaries.)
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "[nextx] installing npm dependencies (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error
fi

# openssl: the TLS/mTLS tests make throwaway certificates with it (libs/grpc/src/testing/test-certs.ts).
if ! command -v openssl >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "[nextx] installing openssl (apt-get)"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends openssl >/dev/null
  else
    echo "[nextx] openssl not found and apt-get not usable: the TLS tests will fail" >&2
  fi
fi

# ffmpeg (libx264) encodes clips as MP4; without it the video services fall back to GIF.
if ! command -v ffmpeg >/dev/null 2>&1 && [ -z "${FFMPEG_PATH:-}" ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "[nextx] installing ffmpeg (apt-get)"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends ffmpeg >/dev/null
  else
    echo "[nextx] ffmpeg not found and apt-get not usable: video clips will be GIF only" >&2
  fi
fi

# grpcurl and grpc-health-probe: the e2e tests drive every service with them, the way a third-party
# client would (reflection, health). Built from the Go module proxy into .tools/bin (git-ignored),
# once per pinned version. The versions build with Go >= 1.18, so Debian's golang-go (1.19 on
# bookworm) serves where no newer Go is installed.
GRPCURL_VERSION=v1.8.9
GRPC_HEALTH_PROBE_VERSION=v0.4.14
# build_go_tool NAME MODULE PACKAGE VERSION: `go install` unless .tools/bin/NAME was built from MODULE@VERSION.
build_go_tool() {
  local binary="$PWD/.tools/bin/$1"
  if [ -x "$binary" ] && go version -m "$binary" 2>/dev/null | grep -Eq "^\s+mod\s+$2\s+$4(\s|$)"; then return; fi
  echo "[nextx] building $1 ($3@$4) into .tools/bin"
  GOBIN="$PWD/.tools/bin" go install "$3@$4"
}
if ! command -v go >/dev/null 2>&1 && [ -x /usr/local/go/bin/go ]; then export PATH="$PATH:/usr/local/go/bin"; fi
if ! command -v go >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "[nextx] installing Go (apt-get golang-go) to build grpcurl and grpc-health-probe"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends golang-go ca-certificates >/dev/null
  else
    echo "[nextx] Go not found and apt-get not usable: the grpcurl tests will fail" >&2
  fi
fi
if command -v go >/dev/null 2>&1; then
  build_go_tool grpcurl github.com/fullstorydev/grpcurl \
    github.com/fullstorydev/grpcurl/cmd/grpcurl "$GRPCURL_VERSION"
  build_go_tool grpc-health-probe github.com/grpc-ecosystem/grpc-health-probe \
    github.com/grpc-ecosystem/grpc-health-probe "$GRPC_HEALTH_PROBE_VERSION"
fi
