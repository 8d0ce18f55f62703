#!/bin/sh
# Writes server.properties from the KAFKA_* environment (the apache/kafka image's convention),
# formats the KRaft storage once (CLUSTER_ID), then runs the broker in its place (exec), so SIGTERM
# reaches Kafka and it shuts down cleanly.
set -eu
: "${CLUSTER_ID:?set CLUSTER_ID (any base64 UUID, the same on every node; e.g. MkU3OEVBNTcwNTJENDM2Qk)}"
props=/tmp/server.properties
: >"$props"
env | sort | while IFS='=' read -r name value; do
  case "$name" in
    KAFKA_HEAP_OPTS|KAFKA_OPTS) continue ;;
    KAFKA_*)
      key=$(printf '%s' "${name#KAFKA_}" | tr 'A-Z' 'a-z' | sed -e 's/___/-/g' -e 's/__/@/g' -e 's/_/./g' -e 's/@/_/g')
      printf '%s=%s\n' "$key" "$value" >>"$props" ;;
  esac
done
grep -q '^log.dirs=' "$props" || echo 'log.dirs=/var/lib/kafka/data' >>"$props"
java_opts="${KAFKA_HEAP_OPTS:--Xms128m -Xmx512m} -XX:+UseG1GC -Djava.awt.headless=true -Dlog4j2.configurationFile=/opt/kafka/log4j2.properties ${KAFKA_OPTS:-}"
# shellcheck disable=SC2086 # java_opts is a list of options
java $java_opts -cp '/opt/kafka/libs/*' kafka.tools.StorageTool format -t "$CLUSTER_ID" -c "$props" --ignore-formatted >/dev/null
# shellcheck disable=SC2086
exec java $java_opts -cp '/opt/kafka/libs/*' kafka.Kafka "$props"
