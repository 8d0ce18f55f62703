#!/usr/bin/env bash
# Local single-node Apache Kafka (KRaft, broker+controller in one JVM) for development and tests.
# The broker jars come from Maven Central through tools/kafka/pom.xml; nothing else is downloaded.
#
#   kafka.sh install          resolve the jars into .kafka/lib (once; again when pom.xml changes)
#   kafka.sh start            format storage (once) and start the broker in the background
#   kafka.sh wait [SECONDS]   block until the port accepts connections and a metadata request answers
#   kafka.sh status           exit 0 when the broker started here is running
#   kafka.sh stop             SIGTERM (controlled shutdown), then SIGKILL after KAFKA_STOP_TIMEOUT
#   kafka.sh up OWNER_PID     install + start + wait, and record OWNER_PID as a user of the broker
#   kafka.sh down OWNER_PID   forget OWNER_PID; stop the broker when no live user is left
#   kafka.sh logs [N]         last N lines of the broker log
#
# Environment: KAFKA_PORT (default 9092), KAFKA_CONTROLLER_PORT (default KAFKA_PORT+1),
# KAFKA_HEAP_OPTS (default -Xms128m -Xmx512m), KAFKA_STOP_TIMEOUT (seconds, default 30),
# KAFKA_HOME_DIR (cache and data, default <repo>/.kafka), KAFKA_DATA_DIR (data, default
# $KAFKA_HOME_DIR/data). Every command is idempotent.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
HERE="$ROOT/tools/kafka"
HOME_DIR="${KAFKA_HOME_DIR:-$ROOT/.kafka}"
LIB="$HOME_DIR/lib"
PORT="${KAFKA_PORT:-9092}"
CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-$((PORT + 1))}"
RUN="${KAFKA_DATA_DIR:-$HOME_DIR/data}/$PORT"
PROPS="$RUN/server.properties"
PIDFILE="$RUN/kafka.pid"
LOGFILE="$RUN/kafka.log"
OWNERS="$RUN/owners"
HEAP="${KAFKA_HEAP_OPTS:--Xms128m -Xmx512m}"
STOP_TIMEOUT="${KAFKA_STOP_TIMEOUT:-30}"

log() { echo "[kafka] $*" >&2; }

pom_stamp() { sha256sum "$HERE/pom.xml" | cut -d' ' -f1; }

install() {
  if [[ -f "$LIB/.installed" && "$(cat "$LIB/.installed")" == "$(pom_stamp)" ]]; then return 0; fi
  command -v mvn >/dev/null || { log "mvn not found: install Apache Maven (apt-get install maven)"; exit 1; }
  command -v java >/dev/null || { log "java not found: install a JDK 17+ (apt-get install openjdk-17-jdk-headless)"; exit 1; }
  log "resolving Kafka from Maven Central into $LIB"
  rm -rf "$LIB.tmp"
  mvn -q -B -f "$HERE/pom.xml" dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$LIB.tmp" -Dstyle.color=never >&2
  rm -rf "$LIB"
  mv "$LIB.tmp" "$LIB"
  pom_stamp >"$LIB/.installed"
  log "installed $(ls "$LIB"/*.jar | wc -l) jars ($(ls "$LIB" | grep -o '^kafka_2.13-.*\.jar$'))"
}

java_run() { # main class, args...
  # shellcheck disable=SC2086
  java $HEAP -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -Djava.awt.headless=true \
    -Dlog4j2.configurationFile="$HERE/log4j2.properties" -cp "$LIB/*" "$@"
}

running() {
  [[ -f "$PIDFILE" ]] || return 1
  local pid
  pid="$(cat "$PIDFILE")"
  [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null && grep -q 'kafka.Kafka' "/proc/$pid/cmdline" 2>/dev/null
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

write_props() {
  mkdir -p "$RUN/logs"
  cat >"$PROPS" <<EOF
# Written by tools/kafka/kafka.sh; regenerated on every start.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$CONTROLLER_PORT
listeners=PLAINTEXT://127.0.0.1:$PORT,CONTROLLER://127.0.0.1:$CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$PORT
inter.broker.listener.name=PLAINTEXT
controller.listener.names=CONTROLLER
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$RUN/logs
num.partitions=1
default.replication.factor=1
min.insync.replicas=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=6
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=false
delete.topic.enable=true
num.network.threads=2
num.io.threads=2
background.threads=2
log.retention.hours=168
log.segment.bytes=67108864
log.cleaner.backoff.ms=1000
EOF
}

start() {
  install
  if running; then log "already running (pid $(cat "$PIDFILE"), port $PORT)"; return 0; fi
  if port_open "$PORT"; then
    log "port $PORT is taken by another process; set KAFKA_PORT or KAFKA_BROKERS"
    exit 1
  fi
  write_props
  if [[ ! -f "$RUN/logs/meta.properties" ]]; then
    local cluster_id
    cluster_id="$(java_run kafka.tools.StorageTool random-uuid 2>/dev/null | tail -1)"
    log "formatting KRaft storage in $RUN/logs (cluster $cluster_id)"
    java_run kafka.tools.StorageTool format -t "$cluster_id" -c "$PROPS" --ignore-formatted >>"$LOGFILE" 2>&1 || {
      log "storage format failed:"; tail -n 30 "$LOGFILE" >&2; exit 1
    }
  fi
  log "starting Kafka on 127.0.0.1:$PORT (controller $CONTROLLER_PORT), log $LOGFILE"
  # setsid: the broker outlives the shell that started it and ignores its terminal's Ctrl-C;
  # it is stopped through `kafka.sh stop` / `down`.
  rm -f "$PIDFILE"
  setsid bash -c "echo \$\$ >'$PIDFILE'; exec java $HEAP -XX:+UseG1GC -XX:MaxGCPauseMillis=20 \
    -Djava.awt.headless=true -Dlog4j2.configurationFile='$HERE/log4j2.properties' -cp '$LIB/*' \
    kafka.Kafka '$PROPS'" >>"$LOGFILE" 2>&1 </dev/null 9>&- &
  local i
  for i in $(seq 1 40); do [[ -s "$PIDFILE" ]] && break; sleep 0.05; done
}

wait_ready() {
  local timeout="${1:-90}" deadline=$((SECONDS + ${1:-90}))
  until port_open "$PORT"; do
    if ! running; then log "broker exited during start-up:"; tail -n 40 "$LOGFILE" >&2 || true; exit 1; fi
    if ((SECONDS >= deadline)); then log "port $PORT not open after ${timeout}s:"; tail -n 40 "$LOGFILE" >&2 || true; exit 1; fi
    sleep 0.25
  done
  local left=$((deadline - SECONDS))
  ((left > 0)) || left=1
  node "$HERE/wait.mjs" "127.0.0.1:$PORT" "$left" || { tail -n 40 "$LOGFILE" >&2 || true; exit 1; }
}

stop() {
  if ! running; then rm -f "$PIDFILE"; log "not running (port $PORT)"; return 0; fi
  local pid
  pid="$(cat "$PIDFILE")"
  log "stopping Kafka (pid $pid)"
  kill -TERM "$pid" 2>/dev/null || true
  local deadline=$((SECONDS + STOP_TIMEOUT))
  while kill -0 "$pid" 2>/dev/null; do
    if ((SECONDS >= deadline)); then
      log "no clean exit after ${STOP_TIMEOUT}s; SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
      break
    fi
    sleep 0.25
  done
  rm -f "$PIDFILE"
}

live_owners() { # prints the owner pids that are still alive, prunes the rest
  mkdir -p "$OWNERS"
  local f
  for f in "$OWNERS"/*; do
    [[ -e "$f" ]] || continue
    if kill -0 "$(basename "$f")" 2>/dev/null; then basename "$f"; else rm -f "$f"; fi
  done
}

with_lock() { # serialises up/down between concurrent test runs in one checkout
  mkdir -p "$RUN"
  exec 9>"$RUN/.lock"
  flock -w 300 9
  "$@"
}

up() {
  local owner="${1:?owner pid}"
  start
  wait_ready "${KAFKA_WAIT_TIMEOUT:-90}"
  mkdir -p "$OWNERS"
  touch "$OWNERS/$owner"
}

down() {
  local owner="${1:?owner pid}"
  rm -f "$OWNERS/$owner"
  local others
  others="$(live_owners | tr '\n' ' ')"
  if [[ -n "$others" ]]; then log "still used by pid(s) $others; leaving it running"; return 0; fi
  stop
}

cmd="${1:-}"
shift || true
case "$cmd" in
  install) install ;;
  start) start ;;
  wait) wait_ready "${1:-90}" ;;
  status) if running; then echo "running pid $(cat "$PIDFILE") port $PORT"; else echo "stopped (port $PORT)"; exit 1; fi ;;
  stop) stop ;;
  up) with_lock up "$@" ;;
  down) with_lock down "$@" ;;
  logs) tail -n "${1:-50}" "$LOGFILE" ;;
  *) echo "usage: $0 {install|start|stop|status|wait [s]|up PID|down PID|logs [n]}" >&2; exit 2 ;;
esac
