#!/usr/bin/env bash
# Builds nextx's container images: infra/containers/build.sh [service ...] (default: every row of
# services.tsv) -> nextx/<service>:<version>, plus nextx/kafka:<kafka version> for compose.
# BASE=debian (default here: base/build.sh makes the base images from Debian, no registry
# needed) or BASE=official (docker.io/library/node:22-bookworm-slim, for machines that reach
# Docker Hub). Prints each image's size.
set -euo pipefail
cd "$(dirname "$0")/../.."
source infra/containers/podman-env.sh

VERSION="$(node -p 'require("./package.json").version')"
NODE_VERSION="${NODE_VERSION:-22.23.5}"
if [ "${BASE:-debian}" = debian ]; then
  NODE_VERSION="$NODE_VERSION" bash infra/containers/base/build.sh >/dev/null
  builder="localhost/nextx/node-build:$NODE_VERSION"
  runtime="localhost/nextx/node:$NODE_VERSION"
  media="localhost/nextx/node-media:$NODE_VERSION"
else
  builder="docker.io/library/node:22-bookworm-slim"; runtime="$builder"; media="$builder"
fi

wanted=("$@")
built=()
while IFS=$'\t' read -r service grpc_port metrics_port healthcheck ffmpeg models; do
  [[ -z "$service" || "$service" == \#* ]] && continue
  if [ ${#wanted[@]} -gt 0 ] && [[ ! " ${wanted[*]} " == *" $service "* ]]; then continue; fi
  [ "$models" = - ] && models=""
  base="$runtime"; [ "$ffmpeg" = yes ] && base="$media"
  echo "[containers] building nextx/$service:$VERSION (from $base)"
  podman build -q -f infra/containers/service.Containerfile \
    --build-arg "BUILDER_IMAGE=$builder" --build-arg "BASE_IMAGE=$base" \
    --build-arg "SERVICE=$service" --build-arg "GRPC_PORT=$grpc_port" \
    --build-arg "METRICS_PORT=$metrics_port" --build-arg "HEALTHCHECK_KIND=$healthcheck" \
    --build-arg "FFMPEG=$ffmpeg" --build-arg "MODELS=$models" \
    -t "localhost/nextx/$service:$VERSION" . >/dev/null
  built+=("localhost/nextx/$service:$VERSION")
done < infra/containers/services.tsv

if [ ${#wanted[@]} -eq 0 ] || [[ " ${wanted[*]} " == *" kafka "* ]]; then
  bash infra/containers/kafka/build.sh
  built+=("localhost/nextx/kafka:$(bash infra/containers/kafka/build.sh --version)")
fi
for image in "${built[@]}"; do
  printf '%-45s %s\n' "$image" "$(podman image inspect --format '{{.Size}}' "$image" | awk '{printf "%.0f MB", $1/1e6}')"
done
