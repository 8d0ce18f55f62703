#!/usr/bin/env bash
# Installs the npm dependencies when node_modules is missing or older than package-lock.json.
# (.npmrc keeps onnxruntime-node from downloading CUDA binaries.)
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "[nextx] installing npm dependencies (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error
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
