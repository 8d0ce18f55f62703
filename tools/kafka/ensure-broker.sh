# Sourced by tools/test.sh and tools/start.sh. Kafka: talk to KAFKA_BROKERS when set; otherwise
# start (or share) the local single-node broker from tools/kafka and stop it on exit when no
# other run still uses it. With KAFKA_SASL_SSL_PORT set, the local broker also has a SASL_SSL
# listener there; KAFKA_SASL_SSL_BROKERS and KAFKA_SASL_SSL_DIR (its CA, client certificate and
# user) are exported for the tests that use it.
if [[ -z "${KAFKA_BROKERS:-}" ]]; then
  kafka_owner=$$
  # An absolute path: the EXIT trap also runs after the sourcing script changed directory.
  kafka_sh="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/kafka.sh"
  source "$(dirname "$kafka_sh")/on-exit.sh"
  kafka_on_exit bash "$kafka_sh" down "$kafka_owner"
  if ! bash "$kafka_sh" up "$kafka_owner"; then
    echo "[nextx] local Kafka did not start; last broker log lines:" >&2
    bash "$kafka_sh" logs 40 >&2 || true
    exit 1
  fi
  export KAFKA_BROKERS="127.0.0.1:${KAFKA_PORT:-9092}"
  if [[ -n "${KAFKA_SASL_SSL_PORT:-}" ]]; then
    export KAFKA_SASL_SSL_BROKERS="127.0.0.1:$KAFKA_SASL_SSL_PORT"
    KAFKA_SASL_SSL_DIR="$(bash "$kafka_sh" sasl-ssl-dir)"
    export KAFKA_SASL_SSL_DIR
  fi
fi
echo "[nextx] KAFKA_BROKERS=$KAFKA_BROKERS${KAFKA_SASL_SSL_BROKERS:+ KAFKA_SASL_SSL_BROKERS=$KAFKA_SASL_SSL_BROKERS}"
