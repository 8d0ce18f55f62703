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

# chromium: the gateway's playground browser tests (apps/gateway/test/playground.browser.spec.ts)
# drive Debian's Chromium headless through playwright-core.
if [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "[nextx] installing chromium (apt-get)"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null
  else
    echo "[nextx] /usr/bin/chromium not found and apt-get not usable: the playground browser tests will fail" >&2
  fi
fi

# grpcurl and grpc-health-probe: the e2e tests drive every service with them, the way a third-party
# client would (reflection, health). Built from the Go module proxy into .tools/bin (git-ignored),
# once per pinned version. The versions build with Go >= 1.18, so Debian's golang-go (1.19 on
# bookworm) serves where no newer Go is installed.
GRPCURL_VERSION=v1.8.9
GRPC_HEALTH_PROBE_VERSION=v0.4.14
# helm: `helm lint` / `helm template` of infra/helm in the infra tests. v3.22 and kubecheck
# (k8s.io/api v0.37) need Go >= 1.26; an older Go >= 1.21 fetches that toolchain from the module
# proxy by itself (GOTOOLCHAIN=auto), Debian's 1.19 cannot.
HELM_VERSION=v3.22.0
# The ldflags of helm's own Makefile: without them `helm version` says v3.22 and `helm template`
# assumes Kubernetes 1.20 (the chart needs >= 1.24), instead of the 1.37 of its client-go.
HELM_LDFLAGS="-X helm.sh/helm/v3/internal/version.version=$HELM_VERSION -X helm.sh/helm/v3/internal/version.gitTreeState=clean"
for pkg in pkg/lint/rules pkg/chartutil; do
  HELM_LDFLAGS+=" -X helm.sh/helm/v3/$pkg.k8sVersionMajor=1 -X helm.sh/helm/v3/$pkg.k8sVersionMinor=37"
done
# build_go_tool NAME MODULE PACKAGE VERSION [LDFLAGS]: `go install` unless .tools/bin/NAME was
# built from MODULE@VERSION (with LDFLAGS).
build_go_tool() {
  local binary="$PWD/.tools/bin/$1"
  local info
  info="$(go version -m "$binary" 2>/dev/null || true)"
  if grep -Eq "^\s+mod\s+$2\s+$4(\s|$)" <<<"$info" && grep -qF -- "${5:-}" <<<"$info"; then return; fi
  echo "[nextx] building $1 ($3@$4) into .tools/bin"
  GOBIN="$PWD/.tools/bin" go install -ldflags "${5:-}" "$3@$4"
}
# kubecheck: the strict manifest checker of infra/helm, built from its own module (go.sum pins
# it); rebuilt when a source file or go.sum is newer than the binary.
build_kubecheck() {
  local module="$PWD/infra/helm/kubecheck" binary="$PWD/.tools/bin/kubecheck"
  if [ -x "$binary" ] && [ -z "$(find "$module" -newer "$binary" \( -name '*.go' -o -name 'go.*' \) ! -name '*_test.go' -print -quit)" ]; then return; fi
  echo "[nextx] building kubecheck (infra/helm/kubecheck) into .tools/bin"
  (cd "$module" && go build -o "$binary" .)
}
if ! command -v go >/dev/null 2>&1 && [ -x /usr/local/go/bin/go ]; then export PATH="$PATH:/usr/local/go/bin"; fi
if ! command -v go >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "[nextx] installing Go (apt-get golang-go) to build grpcurl, grpc-health-probe, helm and kubecheck"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends golang-go ca-certificates >/dev/null
  else
    echo "[nextx] Go not found and apt-get not usable: the grpcurl and infra (helm) tests will fail" >&2
  fi
fi
if command -v go >/dev/null 2>&1; then
  build_go_tool grpcurl github.com/fullstorydev/grpcurl \
    github.com/fullstorydev/grpcurl/cmd/grpcurl "$GRPCURL_VERSION"
  build_go_tool grpc-health-probe github.com/grpc-ecosystem/grpc-health-probe \
    github.com/grpc-ecosystem/grpc-health-probe "$GRPC_HEALTH_PROBE_VERSION"
  build_go_tool helm helm.sh/helm/v3 helm.sh/helm/v3/cmd/helm "$HELM_VERSION" "$HELM_LDFLAGS"
  build_kubecheck
fi
