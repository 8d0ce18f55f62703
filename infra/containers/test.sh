#!/usr/bin/env bash
# `npm run test:containers`: builds every image (infra/containers/build.sh) and runs the
# container and compose tests against them, with the local Kafka broker for the video job test.
# `npm test` runs the same Nx target among all the others.
set -euo pipefail
cd "$(dirname "$0")/../.."
bash tools/install.sh
export NX_DAEMON=false NX_NO_CLOUD=true
source tools/kafka/ensure-broker.sh
npx nx run containers:test --outputStyle=static --skip-nx-cache
