#!/usr/bin/env bash
# Builds localhost/nextx/kafka:<version> (compose's broker) from tools/kafka's jars on the Debian
# JRE base. `build.sh --version` prints the Kafka version.
set -euo pipefail
cd "$(dirname "$0")/../../.."
KAFKA_VERSION="$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' tools/kafka/pom.xml | head -1)"
if [ "${1:-}" = --version ]; then echo "$KAFKA_VERSION"; exit 0; fi
source infra/containers/podman-env.sh
bash tools/kafka/kafka.sh install >/dev/null
NODE_VERSION="${NODE_VERSION:-22.23.5}" bash infra/containers/base/build.sh >/dev/null
context="$(mktemp -d)"
trap 'rm -rf "$context"' EXIT
cp -r .kafka/lib "$context/lib"
cp infra/containers/kafka/entrypoint.sh tools/kafka/log4j2.properties "$context/"
echo "[containers] building nextx/kafka:$KAFKA_VERSION"
podman build -q --format docker -f infra/containers/kafka/Containerfile \
  -t "localhost/nextx/kafka:$KAFKA_VERSION" "$context" >/dev/null
