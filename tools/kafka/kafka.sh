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
#   kafka.sh sasl-ssl-dir     folder of the SASL_SSL listener's CA, client certificate and user
#
# Environment: KAFKA_PORT (default 9092), KAFKA_CONTROLLER_PORT (default KAFKA_PORT+1),
# KAFKA_SASL_SSL_PORT (unset: no SASL_SSL listener; set: a second listener on that port, TLS
# with a CA made here and SASL PLAIN + SCRAM-SHA-256/512 for one user; see README.md),
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
SASL_SSL_PORT="${KAFKA_SASL_SSL_PORT:-}"
# The SASL_SSL listener's material: ca.crt/ca.key, broker.crt/broker.key in broker.p12 (and its
# password), client.crt/client.key (signed by the CA, for clients that present a certificate),
# username and password (the one user, for PLAIN and both SCRAM mechanisms).
SECURITY="$RUN/sasl-ssl"
SCRAM_STAMP="$RUN/scram.stamp"

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
node.id=1
controller.quorum.voters=1@127.0.0.1:$CONTROLLER_PORT
listeners=$listeners
advertised.listeners=$advertised
inter.broker.listener.name=PLAINTEXT
controller.listener.names=CONTROLLER
listener.security.protocol.map=$protocols
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
  if [[ -n "$SASL_SSL_PORT" ]]; then sasl_ssl_props >>"$PROPS"; fi
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
      log "port $port is taken by another process; set KAFKA_PORT / KAFKA_SASL_SSL_PORT or KAFKA_BROKERS"
      exit 1
    fi
  done
  if [[ -n "$SASL_SSL_PORT" ]]; then sasl_ssl_material; fi
  write_props
  if [[ ! -f "$RUN/logs/meta.properties" ]]; then
    local cluster_id scram=()
    cluster_id="$(java_run kafka.tools.StorageTool random-uuid 2>/dev/null | tail -1)"
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
  if [[ -n "$SASL_SSL_PORT" ]]; then
    until port_open "$SASL_SSL_PORT"; do
      if ((SECONDS >= deadline)); then log "SASL_SSL port $SASL_SSL_PORT not open after ${timeout}s"; exit 1; fi
      sleep 0.25
    done
    ensure_scram_credentials
  fi
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
  sasl-ssl-dir) echo "$SECURITY" ;;
  *) echo "usage: $0 {install|start|stop|status|wait [s]|up PID|down PID|logs [n]|sasl-ssl-dir}" >&2; exit 2 ;;
esac
