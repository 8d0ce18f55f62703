#!/usr/bin/env bash
# `npm test`: installs, checks that generated code matches proto/, then lints, type-checks and
# runs every project's tests through Nx (real services on loopback, started by the tests; a real
# Kafka broker from tools/kafka unless KAFKA_BROKERS points at one).
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/install.sh
export NX_DAEMON=false NX_NO_CLOUD=true

source tools/kafka/ensure-broker.sh

echo "[nextx] buf lint + generated code up to date"
bash proto/generate.sh
if ! git diff --quiet -- libs/proto/src/generated 2>/dev/null; then
  echo "[nextx] libs/proto/src/generated differs from what proto/ generates; run npm run generate and commit" >&2
  git --no-pager diff --stat -- libs/proto/src/generated >&2
  exit 1
fi

npx nx run-many -t lint typecheck test --outputStyle=static --skip-nx-cache
