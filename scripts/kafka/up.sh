#!/usr/bin/env bash
# Start a real single-node Kafka (KRaft combined broker+controller) on 127.0.0.1 for dev
# and tests. Everything lives in .kafka/ at the project root (gitignored):
#   libs/ (jars, see fetch.sh)  data/ (log.dirs, kept across restarts)  server.properties
#   broker.pid  broker.port  broker.log
# Idempotent: if our broker is already running it just reports it and exits 0.
#
# Env: KAFKA_PORT (default 9092), KAFKA_CONTROLLER_PORT (default KAFKA_PORT+1),
#      KAFKA_HEAP_OPTS (default -Xms256m -Xmx512m), KAFKA_UP_TIMEOUT seconds (default 90).
# On success prints: KAFKA_BROKERS=127.0.0.1:PORT
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
K="$ROOT/.kafka"
PORT="${KAFKA_PORT:-9092}"
CPORT="${KAFKA_CONTROLLER_PORT:-$((PORT + 1))}"
TIMEOUT="${KAFKA_UP_TIMEOUT:-90}"
PIDFILE="$K/broker.pid"
LOG="$K/broker.log"

# A pid file alone can be stale (crash, reboot, pid reuse): only trust it if that pid
# is still a kafka.Kafka JVM.
broker_pid() {
  [[ -f "$PIDFILE" ]] || return 1
  local pid; pid="$(cat "$PIDFILE")"
  [[ -n "$pid" ]] && tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null | grep -q 'kafka\.Kafka' && echo "$pid"
}
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

if pid="$(broker_pid)"; then
  running_port="$(cat "$K/broker.port" 2>/dev/null || echo "$PORT")"
  echo "kafka broker already running (pid $pid, port $running_port)"
  [[ "$running_port" != "$PORT" && -n "${KAFKA_PORT:-}" ]] &&
    echo "warning: KAFKA_PORT=$PORT ignored, the running broker uses $running_port" >&2
  echo "KAFKA_BROKERS=127.0.0.1:$running_port"
  exit 0
fi

for p in "$PORT" "$CPORT"; do
  if port_open "$p"; then
    echo "up.sh: 127.0.0.1:$p is already in use by something else (not our broker);" \
         "set KAFKA_PORT / KAFKA_CONTROLLER_PORT" >&2
    exit 1
  fi
done

# The readiness probe needs kafkajs; without it up.sh would just time out after 90 s.
[[ -d "$ROOT/node_modules/kafkajs" ]] || { echo "up.sh: node_modules/kafkajs missing, run npm ci first" >&2; exit 1; }

bash "$HERE/fetch.sh"
mkdir -p "$K/data"
# broker.log is appended across restarts (handy when a test restarts the broker) but
# each start adds ~200 KB, so keep one old generation past 20 MB.
if [[ -f "$LOG" ]] && (( $(stat -c %s "$LOG") > 20 * 1024 * 1024 )); then mv -f "$LOG" "$LOG.1"; fi

# Rewritten on every start so port changes take effect; the data dir does not care
# about ports, so data survives a restart on a different port.
cat > "$K/server.properties" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$CPORT
listeners=PLAINTEXT://127.0.0.1:$PORT,CONTROLLER://127.0.0.1:$CPORT
advertised.listeners=PLAINTEXT://127.0.0.1:$PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$K/data
num.partitions=8
auto.create.topics.enable=true
# Single node: internal topics must not ask for replicas that can never exist.
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
# Tests join groups constantly; the default 3 s delay would just slow every test down.
group.initial.rebalance.delay.ms=0
# Fewer internal partitions than the default 50 each: less to load on every (re)start,
# nothing lost on one node. Only applies when the internal topics are first created.
offsets.topic.num.partitions=8
transaction.state.log.num.partitions=8
# The broker is only unfenced after a heartbeat in RECOVERY state; the default 2 s
# interval adds up to 2 s to every start (tests restart the broker mid-run).
broker.heartbeat.interval.ms=500
PROPS

# Both logging configs are written so either Kafka line logs to stdout (-> broker.log):
# 3.x uses reload4j (log4j.properties), 4.x uses log4j2.
cat > "$K/log4j.properties" <<'L4J'
log4j.rootLogger=INFO, stdout
log4j.appender.stdout=org.apache.log4j.ConsoleAppender
log4j.appender.stdout.layout=org.apache.log4j.PatternLayout
log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n
L4J
cat > "$K/log4j2.properties" <<'L4J2'
status = warn
appender.out.type = Console
appender.out.name = STDOUT
appender.out.layout.type = PatternLayout
appender.out.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.out.ref = STDOUT
L4J2

CP="$K/libs/*"
JAVA_OPTS=(${KAFKA_HEAP_OPTS:--Xms256m -Xmx512m}
  -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:+ExplicitGCInvokesConcurrent
  -Djava.awt.headless=true
  -Dlog4j.configuration="file:$K/log4j.properties"
  -Dlog4j2.configurationFile="$K/log4j2.properties")

# KRaft refuses to start on an unformatted log dir; meta.properties marks a formatted one.
if [[ ! -f "$K/data/meta.properties" ]]; then
  cluster_id="$(java -cp "$CP" "${JAVA_OPTS[@]}" kafka.tools.StorageTool random-uuid 2>/dev/null | tail -1)"
  echo "formatting $K/data with cluster id $cluster_id"
  java -cp "$CP" "${JAVA_OPTS[@]}" kafka.tools.StorageTool format \
    -t "$cluster_id" -c "$K/server.properties" >> "$LOG" 2>&1 ||
    { echo "up.sh: storage format failed:" >&2; tail -n 30 "$LOG" >&2; exit 1; }
fi

echo "=== $(date -Is) starting kafka $(cat "$K/libs/.fetched-version") on 127.0.0.1:$PORT (controller $CPORT)" >> "$LOG"
# setsid: the broker must outlive this script and not get the caller's Ctrl-C / process
# group signals (e.g. vitest tearing down). The inner bash writes its own pid and then
# execs java, so the pid file is the JVM's pid whether or not setsid forks.
setsid bash -c 'echo $$ > "$0"; exec "$@"' "$PIDFILE" \
  java -cp "$CP" "${JAVA_OPTS[@]}" kafka.Kafka "$K/server.properties" \
  >> "$LOG" 2>&1 < /dev/null &
echo "$PORT" > "$K/broker.port"

start=$(date +%s)
for _ in $(seq 50); do [[ -s "$PIDFILE" ]] && break; sleep 0.1; done
echo "waiting up to ${TIMEOUT}s for kafka (pid $(cat "$PIDFILE" 2>/dev/null)) to be ready ..."
while :; do
  elapsed=$(( $(date +%s) - start ))
  if ! broker_pid >/dev/null; then
    echo "up.sh: kafka exited during startup; last lines of $LOG:" >&2
    tail -n 40 "$LOG" >&2
    exit 1
  fi
  if port_open "$PORT" && (cd "$ROOT" && node "$HERE/ready.mjs" "127.0.0.1:$PORT"); then
    break
  fi
  if (( elapsed >= TIMEOUT )); then
    echo "up.sh: kafka not ready after ${TIMEOUT}s (left running, pid $(cat "$PIDFILE"); stop it with down.sh); last lines of $LOG:" >&2
    tail -n 40 "$LOG" >&2
    exit 1
  fi
  sleep 0.5
done
echo "kafka ready on 127.0.0.1:$PORT after $(( $(date +%s) - start ))s (pid $(cat "$PIDFILE"), log .kafka/broker.log)"
echo "KAFKA_BROKERS=127.0.0.1:$PORT"
