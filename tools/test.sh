#!/usr/bin/env bash
# `npm test`: installs, checks that generated code matches proto/, then lints, type-checks and
# runs every project's tests through Nx (real services on loopback, started by the tests; a real
# Kafka broker from tools/kafka unless KAFKA_BROKERS points at one).
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/install.sh
export NX_DAEMON=false NX_NO_CLOUD=true

# Kafka: talk to KAFKA_BROKERS when set; otherwise start (or share) the local single-node broker
# from tools/kafka and stop it on exit when no other run still uses it.
if [[ -z "${KAFKA_BROKERS:-}" ]]; then
  kafka_owner=$$
  trap 'bash tools/kafka/kafka.sh down "$kafka_owner" || true' EXIT
  if ! bash tools/kafka/kafka.sh up "$kafka_owner"; then
    echo "[nextx] local Kafka did not start; last broker log lines:" >&2
    bash tools/kafka/kafka.sh logs 40 >&2 || true
    exit 1
  fi
  export KAFKA_BROKERS="127.0.0.1:${KAFKA_PORT:-9092}"
fi
echo "[nextx] KAFKA_BROKERS=$KAFKA_BROKERS"

echo "[nextx] buf lint + generated code up to date"
bash proto/generate.sh
if ! git diff --quiet -- libs/proto/src/generated 2>/dev/null; then
  echo "[nextx] libs/proto/src/generated differs from what proto/ generates; run npm run generate and commit" >&2
  git --no-pager diff --stat -- libs/proto/src/generated >&2
  exit 1
fi

npx nx run-many -t lint typecheck test --outputStyle=static --skip-nx-cache
