#!/usr/bin/env bash
# `npm start`: installs, builds and starts every nextx service with embedded defaults, in the
# foreground. Ctrl-C (or SIGTERM) stops them gracefully.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/install.sh
export NX_DAEMON=false NX_NO_CLOUD=true
npx nx run-many -t build --projects=timeseries-service,image-service,video-service,video-worker,audio-service,shape-service,gateway,cli --outputStyle=static >/dev/null
echo "[nextx] built services into dist/"

source tools/kafka/ensure-broker.sh

pids=()
stop() {
  echo "[nextx] stopping services"
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait || true
}
trap stop INT TERM

start_service() { # name, then env assignments
  local name=$1; shift
  env "$@" node "dist/apps/$name/main.mjs" &
  pids+=($!)
}

start_service timeseries-service "GRPC_PORT=${TIMESERIES_GRPC_PORT:-50055}" "METRICS_PORT=${TIMESERIES_METRICS_PORT:-9465}"
start_service image-service "GRPC_PORT=${IMAGE_GRPC_PORT:-50051}" "METRICS_PORT=${IMAGE_METRICS_PORT:-9461}"
start_service video-service "GRPC_PORT=${VIDEO_GRPC_PORT:-50052}" "METRICS_PORT=${VIDEO_METRICS_PORT:-9462}"
start_service video-worker "METRICS_PORT=${VIDEO_WORKER_METRICS_PORT:-9463}"
start_service audio-service "GRPC_PORT=${AUDIO_GRPC_PORT:-50054}" "METRICS_PORT=${AUDIO_METRICS_PORT:-9464}"
start_service shape-service "GRPC_PORT=${SHAPE_GRPC_PORT:-50056}" "METRICS_PORT=${SHAPE_METRICS_PORT:-9467}"

# The gateway: HTTP/JSON + SSE for every service, the playground at /, the API document at /docs.
start_service gateway "GATEWAY_PORT=${GATEWAY_PORT:-8080}" \
  "IMAGE_ADDRESS=127.0.0.1:${IMAGE_GRPC_PORT:-50051}" "VIDEO_ADDRESS=127.0.0.1:${VIDEO_GRPC_PORT:-50052}" \
  "TIMESERIES_ADDRESS=127.0.0.1:${TIMESERIES_GRPC_PORT:-50055}" "AUDIO_ADDRESS=127.0.0.1:${AUDIO_GRPC_PORT:-50054}" \
  "SHAPE_ADDRESS=127.0.0.1:${SHAPE_GRPC_PORT:-50056}"

for addr in "127.0.0.1:${TIMESERIES_GRPC_PORT:-50055}" "127.0.0.1:${IMAGE_GRPC_PORT:-50051}" "127.0.0.1:${VIDEO_GRPC_PORT:-50052}" "127.0.0.1:${AUDIO_GRPC_PORT:-50054}" "127.0.0.1:${SHAPE_GRPC_PORT:-50056}"; do
  for _ in $(seq 1 50); do
    if bin/nextx health "$addr" >/dev/null 2>&1; then echo "[nextx] $addr SERVING"; break; fi
    sleep 0.2
  done
done
for _ in $(seq 1 50); do
  if curl -fsS "http://127.0.0.1:${GATEWAY_PORT:-8080}/readyz" >/dev/null 2>&1; then break; fi
  sleep 0.2
done
echo "[nextx] gateway up: open http://127.0.0.1:${GATEWAY_PORT:-8080}/ (playground), /docs (HTTP API)"
echo "[nextx] all services up; try: bin/nextx describe 127.0.0.1:50055, bin/nextx models --service image, bin/nextx video generate --digits 3,7 --frames 32 --out clip.mp4, bin/nextx audio generate --model musicgen-notes --family guitar --pitch 60 --seconds 2 --out note.wav, bin/nextx shape generate --model shape-octree --class Capacitor_THT --out part.glb"
wait
