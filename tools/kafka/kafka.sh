#!/usr/bin/env bash
# Local Apache Kafka (KRaft) for development and tests: a single node (broker+controller in one
# JVM), or a cluster of 3 such nodes on loopback. The broker jars come from Maven Central through
# tools/kafka/pom.xml; nothing else is downloaded.
#
#   kafka.sh install          resolve the jars into .kafka/lib (once; again when pom.xml changes)
#   kafka.sh start            format storage (once) and start the broker in the background
#   kafka.sh wait [SECONDS]   block until the port accepts connections and a metadata request answers
#   kafka.sh status           exit 0 when the broker started here is running
#   kafka.sh stop             SIGTERM (controlled shutdown), then SIGKILL after KAFKA_STOP_TIMEOUT
#   kafka.sh up OWNER_PID     install + start + wait, and record OWNER_PID as a user of the broker
#   kafka.sh down OWNER_PID   forget OWNER_PID; stop the broker when no live user is left
#   kafka.sh logs [N]         last N lines of the broker log
#   kafka.sh sasl-ssl-dir     folder of the SASL_SSL listener's CA, client certificate and user
#
#   kafka.sh cluster start|wait [s]|stop|status|up PID|down PID|brokers
#                             the same for the 3-node cluster (every node controller + broker)
#   kafka.sh cluster kill N   SIGKILL node N (1-3), as a crash would
#   kafka.sh cluster restart N
#                             start node N again and wait until it is back in the cluster
#   kafka.sh cluster logs N [LINES]
#
# Environment: KAFKA_PORT (default 9092), KAFKA_CONTROLLER_PORT (default KAFKA_PORT+1),
# KAFKA_SASL_SSL_PORT (unset: no SASL_SSL listener; set: a second listener on that port, TLS
# with a CA made here and SASL PLAIN + SCRAM-SHA-256/512 for one user; see README.md),
# KAFKA_HEAP_OPTS (default -Xms128m -Xmx512m), KAFKA_STOP_TIMEOUT (seconds, default 30),
# KAFKA_HOME_DIR (cache and data, default <repo>/.kafka), KAFKA_DATA_DIR (data, default
# $KAFKA_HOME_DIR/data). The cluster: KAFKA_CLUSTER_PORT (node N's broker listens on
# KAFKA_CLUSTER_PORT+N-1, default 19092), KAFKA_CLUSTER_CONTROLLER_PORT (default 19192, same
# scheme), KAFKA_CLUSTER_HEAP_OPTS (per node, default -Xms128m -Xmx384m), KAFKA_CLUSTER_DIR
# (default $KAFKA_HOME_DIR/cluster; node N's data in <dir>/N). Every command is idempotent.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
HERE="$ROOT/tools/kafka"
HOME_DIR="${KAFKA_HOME_DIR:-$ROOT/.kafka}"
LIB="$HOME_DIR/lib"
STOP_TIMEOUT="${KAFKA_STOP_TIMEOUT:-30}"

# One node's settings and files. The single broker's come from the environment; the cluster's
# nodes get theirs from cluster_node.
PORT="${KAFKA_PORT:-9092}"
CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-$((PORT + 1))}"
RUN="${KAFKA_DATA_DIR:-$HOME_DIR/data}/$PORT"
HEAP="${KAFKA_HEAP_OPTS:--Xms128m -Xmx512m}"
SASL_SSL_PORT="${KAFKA_SASL_SSL_PORT:-}"
NODE_ID=1
VOTERS="1@127.0.0.1:$CONTROLLER_PORT"
# Replication of the internal topics (consumer offsets, transactions): all nodes, and writes
# need REPLICAS-1 of them in sync (1 on a single node).
REPLICAS=1
# A cluster's nodes share one id (cluster.id); empty = a new random id at format time.
CLUSTER_ID_FILE=""
# Lines added to server.properties (the cluster's failure detection).
EXTRA_PROPS=""
# Owners (users of up/down) and the lock serialising them: the broker's, or the whole cluster's.
OWNERS="$RUN/owners"
LOCK="$RUN/.lock"

node_paths() { # the files of the node whose data folder is $RUN
  PROPS="$RUN/server.properties"
  PIDFILE="$RUN/kafka.pid"
  LOGFILE="$RUN/kafka.log"
  # The SASL_SSL listener's material: ca.crt/ca.key, broker.crt/broker.key in broker.p12 (and its
  # password), client.crt/client.key (signed by the CA, for clients that present a certificate),
  # username and password (the one user, for PLAIN and both SCRAM mechanisms).
  SECURITY="$RUN/sasl-ssl"
  SCRAM_STAMP="$RUN/scram.stamp"
}
node_paths

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

if [[ -n "$SASL_SSL_PORT" && ! "$SASL_SSL_PORT" =~ ^[0-9]+$ ]]; then
  log "KAFKA_SASL_SSL_PORT=$SASL_SSL_PORT: expected a port number"
  exit 2
fi

openssl_quiet() { openssl "$@" >/dev/null 2>&1; }

# A CA, a broker certificate for 127.0.0.1/localhost in a PKCS12 keystore, a client certificate
# and the user's password, made once with openssl (again when the broker certificate has less
# than a day left). Keys and passwords stay in a folder only this user can read.
sasl_ssl_material() {
  if [[ -s "$SECURITY/password" ]] && openssl_quiet x509 -checkend 86400 -noout -in "$SECURITY/broker.crt"; then
    return 0
  fi
  command -v openssl >/dev/null || { log "openssl not found: the SASL_SSL listener needs it (apt-get install openssl)"; exit 1; }
  log "making the SASL_SSL listener's CA, broker and client certificates in $SECURITY"
  rm -rf "$SECURITY.tmp"
  (
    set -e
    umask 077
    mkdir -p "$SECURITY.tmp"
    cd "$SECURITY.tmp"
    ec=(-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes)
    openssl_quiet req -x509 "${ec[@]}" -days 825 -subj /CN=nextx-local-kafka-ca -keyout ca.key -out ca.crt \
      -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign
    leaf='basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\n'
    printf "${leaf}extendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,DNS:localhost\n" >broker.ext
    printf "${leaf}extendedKeyUsage=clientAuth\n" >client.ext
    for name in broker client; do
      openssl_quiet req "${ec[@]}" -subj "/CN=nextx-kafka-$name" -keyout "$name.key" -out "$name.csr"
      openssl_quiet x509 -req -in "$name.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -days 825 \
        -out "$name.crt" -extfile "$name.ext"
    done
    openssl rand -hex 24 >broker.p12.password
    openssl_quiet pkcs12 -export -name broker -in broker.crt -inkey broker.key -certfile ca.crt \
      -passout file:broker.p12.password -out broker.p12
    echo nextx >username
    openssl rand -hex 24 >password
    rm -f ./*.csr ./*.ext ./*.srl
  ) || { log "making the SASL_SSL certificates with openssl failed"; exit 1; }
  rm -rf "$SECURITY"
  mv "$SECURITY.tmp" "$SECURITY"
}

sasl_user() { cat "$SECURITY/username"; }
sasl_password() { cat "$SECURITY/password"; }

# What the SCRAM credentials in the cluster metadata were made from: the cluster id (a new data
# folder is a new cluster) and a digest of user and password.
scram_stamp() {
  local cluster
  cluster="$(sed -n 's/^cluster.id=//p' "$RUN/logs/meta.properties" 2>/dev/null)"
  echo "$cluster $(printf '%s:%s' "$(sasl_user)" "$(sasl_password)" | sha256sum | cut -d' ' -f1)"
}

# A data folder formatted without the SASL_SSL listener (or with another password) lacks the
# user's SCRAM credentials: kafka-configs adds them through the plaintext listener (a short tool
# run; the broker stays one JVM).
ensure_scram_credentials() {
  if [[ -f "$SCRAM_STAMP" && "$(cat "$SCRAM_STAMP")" == "$(scram_stamp)" ]]; then return 0; fi
  local user password
  user="$(sasl_user)"
  password="$(sasl_password)"
  log "adding the SCRAM-SHA-256/512 credentials of user $user"
  local mechanism
  # One mechanism a request: the broker refuses two changes of one user's credentials in one.
  for mechanism in SCRAM-SHA-256 SCRAM-SHA-512; do
    java_run kafka.admin.ConfigCommand --bootstrap-server "127.0.0.1:$PORT" --alter --entity-type users \
      --entity-name "$user" --add-config "$mechanism=[iterations=8192,password=$password]" >>"$LOGFILE" 2>&1 || {
      log "adding the $mechanism credentials failed:"; tail -n 20 "$LOGFILE" >&2; exit 1
    }
  done
  scram_stamp >"$SCRAM_STAMP"
}

sasl_ssl_props() {
  local user password
  user="$(sasl_user)"
  password="$(sasl_password)"
  cat <<EOF
# SASL_SSL listener (KAFKA_SASL_SSL_PORT): TLS with the CA in $SECURITY, then SASL PLAIN or
# SCRAM-SHA-256/512 as user $user. A client certificate is checked when one is presented.
listener.name.sasl_ssl.sasl.enabled.mechanisms=PLAIN,SCRAM-SHA-256,SCRAM-SHA-512
listener.name.sasl_ssl.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required user_$user="$password";
listener.name.sasl_ssl.scram-sha-256.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
listener.name.sasl_ssl.ssl.keystore.type=PKCS12
listener.name.sasl_ssl.ssl.keystore.location=$SECURITY/broker.p12
listener.name.sasl_ssl.ssl.keystore.password=$(cat "$SECURITY/broker.p12.password")
listener.name.sasl_ssl.ssl.truststore.type=PEM
listener.name.sasl_ssl.ssl.truststore.location=$SECURITY/ca.crt
listener.name.sasl_ssl.ssl.client.auth=requested
EOF
}

write_props() {
  mkdir -p "$RUN/logs"
  local listeners="PLAINTEXT://127.0.0.1:$PORT,CONTROLLER://127.0.0.1:$CONTROLLER_PORT"
  local advertised="PLAINTEXT://127.0.0.1:$PORT" protocols="CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT"
  if [[ -n "$SASL_SSL_PORT" ]]; then
    listeners+=",SASL_SSL://127.0.0.1:$SASL_SSL_PORT"
    advertised+=",SASL_SSL://127.0.0.1:$SASL_SSL_PORT"
    protocols+=",SASL_SSL:SASL_SSL"
  fi
  # With the SASL_SSL listener this file holds passwords: only this user reads it.
  (umask 077 && : >"$PROPS")
  cat >"$PROPS" <<EOF
# Written by tools/kafka/kafka.sh; regenerated on every start.
process.roles=broker,controller
node.id=$NODE_ID
controller.quorum.voters=$VOTERS
listeners=$listeners
advertised.listeners=$advertised
inter.broker.listener.name=PLAINTEXT
controller.listener.names=CONTROLLER
listener.security.protocol.map=$protocols
log.dirs=$RUN/logs
num.partitions=1
default.replication.factor=$REPLICAS
min.insync.replicas=1
offsets.topic.replication.factor=$REPLICAS
offsets.topic.num.partitions=6
transaction.state.log.replication.factor=$REPLICAS
transaction.state.log.min.isr=$(((REPLICAS + 1) / 2))
share.coordinator.state.topic.replication.factor=$REPLICAS
share.coordinator.state.topic.min.isr=$(((REPLICAS + 1) / 2))
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
  if [[ -n "$EXTRA_PROPS" ]]; then echo "$EXTRA_PROPS" >>"$PROPS"; fi
  if [[ -n "$SASL_SSL_PORT" ]]; then sasl_ssl_props >>"$PROPS"; fi
}

# The id to format a new data folder with: a new one for the single broker; for the cluster's
# nodes the one id all of them share (made by the first node formatted).
cluster_id() {
  if [[ -n "$CLUSTER_ID_FILE" && -s "$CLUSTER_ID_FILE" ]]; then cat "$CLUSTER_ID_FILE"; return 0; fi
  local id
  id="$(java_run kafka.tools.StorageTool random-uuid 2>/dev/null | tail -1)"
  if [[ -n "$CLUSTER_ID_FILE" ]]; then mkdir -p "$(dirname "$CLUSTER_ID_FILE")"; echo "$id" >"$CLUSTER_ID_FILE"; fi
  echo "$id"
}

start() {
  install
  if running; then
    if [[ -n "$SASL_SSL_PORT" ]] && ! grep -q "^listeners=.*SASL_SSL://127.0.0.1:$SASL_SSL_PORT" "$PROPS"; then
      log "the broker running on port $PORT (pid $(cat "$PIDFILE")) has no SASL_SSL listener on port" \
        "$SASL_SSL_PORT, which KAFKA_SASL_SSL_PORT asks for: stop it (bash tools/kafka/kafka.sh stop) and start again"
      exit 1
    fi
    log "already running (pid $(cat "$PIDFILE"), port $PORT)"
    return 0
  fi
  local port
  for port in "$PORT" $SASL_SSL_PORT; do
    if port_open "$port"; then
      log "port $port is taken by another process; set KAFKA_PORT / KAFKA_SASL_SSL_PORT (KAFKA_CLUSTER_PORT for the cluster) or KAFKA_BROKERS"
      exit 1
    fi
  done
  if [[ -n "$SASL_SSL_PORT" ]]; then sasl_ssl_material; fi
  write_props
  if [[ ! -f "$RUN/logs/meta.properties" ]]; then
    local cluster_id scram=()
    cluster_id="$(cluster_id)"
    log "formatting KRaft storage in $RUN/logs (cluster $cluster_id)"
    # A new cluster gets the SCRAM credentials in its bootstrap metadata, at no extra cost.
    if [[ -n "$SASL_SSL_PORT" ]]; then
      local mechanism
      for mechanism in SCRAM-SHA-256 SCRAM-SHA-512; do
        scram+=(--add-scram "$mechanism=[name=$(sasl_user),iterations=8192,password=$(sasl_password)]")
      done
    fi
    java_run kafka.tools.StorageTool format -t "$cluster_id" -c "$PROPS" --ignore-formatted "${scram[@]}" >>"$LOGFILE" 2>&1 || {
      log "storage format failed:"; tail -n 30 "$LOGFILE" >&2; exit 1
    }
    if [[ -n "$SASL_SSL_PORT" ]]; then scram_stamp >"$SCRAM_STAMP"; fi
  fi
  log "starting Kafka node $NODE_ID on 127.0.0.1:$PORT (controller $CONTROLLER_PORT), log $LOGFILE"
  # setsid: the broker outlives the shell that started it and ignores its terminal's Ctrl-C;
  # it is stopped through `kafka.sh stop` / `down`.
  rm -f "$PIDFILE"
  setsid bash -c "echo \$\$ >'$PIDFILE'; exec java $HEAP -XX:+UseG1GC -XX:MaxGCPauseMillis=20 \
    -Djava.awt.headless=true -Dlog4j2.configurationFile='$HERE/log4j2.properties' -cp '$LIB/*' \
    kafka.Kafka '$PROPS'" >>"$LOGFILE" 2>&1 </dev/null 9>&- &
  local i
  for i in $(seq 1 40); do [[ -s "$PIDFILE" ]] && break; sleep 0.05; done
}

wait_port() { # deadline (in $SECONDS), timeout for the message: until this node's port is open
  until port_open "$PORT"; do
    if ! running; then log "broker $NODE_ID exited during start-up:"; tail -n 40 "$LOGFILE" >&2 || true; exit 1; fi
    if ((SECONDS >= $1)); then log "port $PORT not open after ${2}s:"; tail -n 40 "$LOGFILE" >&2 || true; exit 1; fi
    sleep 0.25
  done
}

wait_ready() {
  local timeout="${1:-90}" deadline=$((SECONDS + ${1:-90}))
  wait_port "$deadline" "$timeout"
  local left=$((deadline - SECONDS))
  ((left > 0)) || left=1
  node "$HERE/wait.mjs" "127.0.0.1:$PORT" "$left" || { tail -n 40 "$LOGFILE" >&2 || true; exit 1; }
  if [[ -n "$SASL_SSL_PORT" ]]; then
    until port_open "$SASL_SSL_PORT"; do
      if ((SECONDS >= deadline)); then log "SASL_SSL port $SASL_SSL_PORT not open after ${timeout}s"; exit 1; fi
      sleep 0.25
    done
    ensure_scram_credentials
  fi
}

stop_signal() { # SIGNAL: sends it to this node's broker; prints its pid (nothing when not running)
  if ! running; then rm -f "$PIDFILE"; log "not running (port $PORT)"; return 0; fi
  local pid
  pid="$(cat "$PIDFILE")"
  log "stopping Kafka node $NODE_ID (pid $pid, SIG$1)"
  kill "-$1" "$pid" 2>/dev/null || true
  echo "$pid"
}

stop_wait() { # PID: waits until it exits; SIGKILL after KAFKA_STOP_TIMEOUT
  local pid=$1 deadline=$((SECONDS + STOP_TIMEOUT))
  while kill -0 "$pid" 2>/dev/null; do
    if ((SECONDS >= deadline)); then
      log "no clean exit of pid $pid after ${STOP_TIMEOUT}s; SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
    fi
    sleep 0.1
  done
}

stop() {
  local pid
  pid="$(stop_signal TERM)"
  if [[ -n "$pid" ]]; then stop_wait "$pid"; fi
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
  mkdir -p "$(dirname "$LOCK")"
  exec 9>"$LOCK"
  flock -w 300 9
  "$@"
}

up() { # OWNER_PID [START WAIT]: the single broker, or the cluster with cluster_start cluster_wait
  local owner="${1:?owner pid}"
  "${2:-start}"
  "${3:-wait_ready}" "${KAFKA_WAIT_TIMEOUT:-90}"
  mkdir -p "$OWNERS"
  touch "$OWNERS/$owner"
}

down() { # OWNER_PID [STOP]
  local owner="${1:?owner pid}"
  rm -f "$OWNERS/$owner"
  local others
  others="$(live_owners | tr '\n' ' ')"
  if [[ -n "$others" ]]; then log "still used by pid(s) $others; leaving it running"; return 0; fi
  "${2:-stop}"
}

# --- The 3-node cluster: every node a combined controller + broker, one KRaft cluster id, the
# controller quorum of all three, replicated internal topics. Each node is the single broker's
# code with other settings (cluster_node); it never shares ports or data with the single broker.
CLUSTER_SIZE=3
CLUSTER_PORT="${KAFKA_CLUSTER_PORT:-19092}"
CLUSTER_CONTROLLER_PORT="${KAFKA_CLUSTER_CONTROLLER_PORT:-19192}"
CLUSTER_DIR="${KAFKA_CLUSTER_DIR:-$HOME_DIR/cluster}"

cluster_mode() {
  HEAP="${KAFKA_CLUSTER_HEAP_OPTS:--Xms128m -Xmx384m}"
  SASL_SSL_PORT=""
  REPLICAS=$CLUSTER_SIZE
  CLUSTER_ID_FILE="$CLUSTER_DIR/cluster.id"
  OWNERS="$CLUSTER_DIR/owners"
  LOCK="$CLUSTER_DIR/.lock"
  # A crashed node is fenced (its partitions get new leaders) after 4 s without a heartbeat
  # instead of the default 9 s: on loopback a live node never misses 4 of them.
  EXTRA_PROPS="# The cluster's failure detection (kafka.sh cluster)
broker.heartbeat.interval.ms=1000
broker.session.timeout.ms=4000"
  local n voters=()
  for ((n = 1; n <= CLUSTER_SIZE; n++)); do voters+=("$n@127.0.0.1:$((CLUSTER_CONTROLLER_PORT + n - 1))"); done
  VOTERS="$(IFS=,; echo "${voters[*]}")"
}

cluster_node() { # N: the following node functions act on node N
  if [[ ! "$1" =~ ^[0-9]+$ ]] || (($1 < 1 || $1 > CLUSTER_SIZE)); then
    log "node $1: expected a node number 1..$CLUSTER_SIZE"; exit 2
  fi
  NODE_ID=$1
  PORT=$((CLUSTER_PORT + $1 - 1))
  CONTROLLER_PORT=$((CLUSTER_CONTROLLER_PORT + $1 - 1))
  RUN="$CLUSTER_DIR/$1"
  node_paths
}

cluster_brokers() { # the bootstrap list host:port,host:port,host:port
  local n list=()
  for ((n = 1; n <= CLUSTER_SIZE; n++)); do list+=("127.0.0.1:$((CLUSTER_PORT + n - 1))"); done
  (IFS=,; echo "${list[*]}")
}

cluster_start() {
  local n
  for ((n = 1; n <= CLUSTER_SIZE; n++)); do cluster_node "$n"; start; done
}

# Every node's port open, then one metadata request that sees all the brokers registered.
cluster_wait() {
  local timeout="${1:-90}" deadline=$((SECONDS + ${1:-90})) n
  for ((n = 1; n <= CLUSTER_SIZE; n++)); do cluster_node "$n"; wait_port "$deadline" "$timeout"; done
  local left=$((deadline - SECONDS))
  ((left > 0)) || left=1
  node "$HERE/wait.mjs" "$(cluster_brokers)" "$left" "$CLUSTER_SIZE" || {
    for ((n = 1; n <= CLUSTER_SIZE; n++)); do cluster_node "$n"; log "node $n:"; tail -n 15 "$LOGFILE" >&2 || true; done
    exit 1
  }
}

# SIGTERM to all nodes at once (one after the other, the last ones would wait for a quorum that
# is already gone), then SIGKILL what is left after KAFKA_STOP_TIMEOUT.
cluster_stop() {
  local n pid pids=()
  for ((n = 1; n <= CLUSTER_SIZE; n++)); do
    cluster_node "$n"
    pid="$(stop_signal TERM)"
    if [[ -n "$pid" ]]; then pids+=("$pid"); fi
  done
  for pid in "${pids[@]}"; do stop_wait "$pid"; done
  for ((n = 1; n <= CLUSTER_SIZE; n++)); do cluster_node "$n"; rm -f "$PIDFILE"; done
}

cluster_kill() { # N: SIGKILL, as a crash (no controlled shutdown, no flush)
  cluster_node "${1:?node number}"
  local pid
  pid="$(stop_signal KILL)"
  if [[ -n "$pid" ]]; then stop_wait "$pid"; fi
  rm -f "$PIDFILE"
}

cluster_restart() { # N: start node N again; back when the cluster lists all brokers again
  cluster_node "${1:?node number}"
  start
  local timeout="${KAFKA_WAIT_TIMEOUT:-90}"
  local deadline=$((SECONDS + timeout))
  wait_port "$deadline" "$timeout"
  node "$HERE/wait.mjs" "$(cluster_brokers)" "$((deadline - SECONDS > 0 ? deadline - SECONDS : 1))" "$CLUSTER_SIZE" || {
    tail -n 40 "$LOGFILE" >&2 || true; exit 1
  }
}

cluster_status() {
  local n down=0
  for ((n = 1; n <= CLUSTER_SIZE; n++)); do
    cluster_node "$n"
    if running; then echo "node $n running pid $(cat "$PIDFILE") port $PORT"; else echo "node $n stopped (port $PORT)"; down=1; fi
  done
  return "$down"
}

cluster() {
  cluster_mode
  local sub="${1:-}"
  shift || true
  case "$sub" in
    start) install; cluster_start ;;
    wait) cluster_wait "${1:-90}" ;;
    stop) cluster_stop ;;
    status) cluster_status ;;
    up) install; with_lock up "${1:?owner pid}" cluster_start cluster_wait ;;
    down) with_lock down "${1:?owner pid}" cluster_stop ;;
    kill) cluster_kill "$@" ;;
    restart) cluster_restart "$@" ;;
    logs) cluster_node "${1:?node number}"; tail -n "${2:-50}" "$LOGFILE" ;;
    brokers) cluster_brokers ;;
    *) echo "usage: $0 cluster {start|stop|status|wait [s]|up PID|down PID|kill N|restart N|logs N [n]|brokers}" >&2; exit 2 ;;
  esac
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
  sasl-ssl-dir) echo "$SECURITY" ;;
  cluster) cluster "$@" ;;
  *) echo "usage: $0 {install|start|stop|status|wait [s]|up PID|down PID|logs [n]|sasl-ssl-dir|cluster …}" >&2; exit 2 ;;
esac
