#!/usr/bin/env bash
# `npm test`: installs, checks that generated code matches proto/ and that proto/ keeps
# compatibility with its committed baseline (buf breaking), then lints, type-checks and
# runs every project's tests through Nx (real services on loopback, started by the tests; a real
# Kafka broker from tools/kafka unless KAFKA_BROKERS points at one, and a local 3-node cluster).
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/install.sh
export NX_DAEMON=false NX_NO_CLOUD=true

# The local broker gets its SASL_SSL listener too: libs/jobs/test/sasl-ssl.spec.ts connects
# through it (PLAIN, SCRAM, refused credentials, a client without TLS, a job round trip).
if [[ -z "${KAFKA_BROKERS:-}" ]]; then
  export KAFKA_SASL_SSL_PORT="${KAFKA_SASL_SSL_PORT:-$((${KAFKA_PORT:-9092} + 2))}"
fi
source tools/kafka/ensure-broker.sh
# The four overload suites (libs/grpc describeOverload) run 30 s each here instead of the 60 s of
# a run by hand: it keeps CI near 30 minutes now that it builds and tests the container images.
export NEXTX_OVERLOAD_SECONDS="${NEXTX_OVERLOAD_SECONDS:-30}"
# The 3-node cluster (tools/kafka, ports 19092-19094) for the broker-kill test
# (apps/video-worker/test/cluster-broker-kill.spec.ts); exports KAFKA_CLUSTER_BROKERS and is
# stopped on exit like the broker.
source tools/kafka/ensure-cluster.sh

echo "[nextx] buf lint + generated code up to date"
bash proto/generate.sh
if ! git diff --quiet -- libs/proto/src/generated 2>/dev/null; then
  echo "[nextx] libs/proto/src/generated differs from what proto/ generates; run npm run generate and commit" >&2
  git --no-pager diff --stat -- libs/proto/src/generated >&2
  exit 1
fi

echo "[nextx] buf breaking against the committed baseline proto/baseline/nextx-v1.binpb"
if ! npm run -s proto:breaking; then
  echo "[nextx] proto/ breaks wire or source compatibility with the baseline. Undo the change, or," >&2
  echo "[nextx] when the break is intended (see proto/baseline/README.md): npm run proto:baseline and commit" >&2
  exit 1
fi

npx nx run-many -t lint typecheck test --outputStyle=static --skip-nx-cache
