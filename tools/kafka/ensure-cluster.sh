# Sourced by tools/test.sh: starts (or shares) the local 3-node KRaft cluster of tools/kafka
# (`kafka.sh cluster up`), exports KAFKA_CLUSTER_BROKERS (its bootstrap list) for the tests that
# kill and restart its brokers, and stops it on exit when no other run still uses it. Those
# tests drive the local cluster through kafka.sh, so it is always the local one.
kafka_cluster_owner=$$
kafka_cluster_sh="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/kafka.sh"
source "$(dirname "$kafka_cluster_sh")/on-exit.sh"
kafka_on_exit bash "$kafka_cluster_sh" cluster down "$kafka_cluster_owner"
kafka_cluster_started=$SECONDS
if ! bash "$kafka_cluster_sh" cluster up "$kafka_cluster_owner"; then
  echo "[nextx] the local 3-node Kafka cluster did not start; last log lines of each node:" >&2
  for kafka_cluster_node in 1 2 3; do bash "$kafka_cluster_sh" cluster logs "$kafka_cluster_node" 15 >&2 || true; done
  exit 1
fi
KAFKA_CLUSTER_BROKERS="$(bash "$kafka_cluster_sh" cluster brokers)"
export KAFKA_CLUSTER_BROKERS
echo "[nextx] KAFKA_CLUSTER_BROKERS=$KAFKA_CLUSTER_BROKERS (up in $((SECONDS - kafka_cluster_started)) s)"
