#!/usr/bin/env bash
# Installs the npm dependencies when node_modules is missing or older than package-lock.json.
# (.npmrc keeps onnxruntime-node from downloading CUDA binaries.)
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "[nextx] installing npm dependencies (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error
fi
