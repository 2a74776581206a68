#!/usr/bin/env bash
# Stop the broker started by up.sh. Data in .kafka/data is kept (so a later up.sh resumes
# the same topics, offsets and groups) unless --wipe is given.
# SIGTERM first so Kafka does a controlled shutdown and closes its logs cleanly (faster,
# no log recovery on the next start); SIGKILL only if that takes longer than
# KAFKA_DOWN_TIMEOUT seconds (default 30).
# Usage: bash scripts/kafka/down.sh [--wipe]
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
K="$(cd "$HERE/../.." && pwd)/.kafka"
PIDFILE="$K/broker.pid"
TIMEOUT="${KAFKA_DOWN_TIMEOUT:-30}"
WIPE=0
for arg in "$@"; do
  case "$arg" in
    --wipe) WIPE=1 ;;
    *) echo "usage: down.sh [--wipe]" >&2; exit 2 ;;
  esac
done

is_broker() { tr '\0' ' ' < "/proc/$1/cmdline" 2>/dev/null | grep -q 'kafka\.Kafka'; }

pid="$(cat "$PIDFILE" 2>/dev/null || true)"
# Only signal the pid if it is still our JVM (a stale pid file may point at a reused pid).
if [[ -n "$pid" ]] && is_broker "$pid"; then
  start=$(date +%s)
  kill -TERM "$pid"
  while is_broker "$pid"; do
    if (( $(date +%s) - start >= TIMEOUT )); then
      echo "kafka (pid $pid) ignored SIGTERM for ${TIMEOUT}s, sending SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
      for _ in $(seq 50); do is_broker "$pid" || break; sleep 0.1; done
      break
    fi
    sleep 0.2
  done
  echo "kafka stopped (pid $pid) in $(( $(date +%s) - start ))s"
else
  echo "kafka not running"
fi
rm -f "$PIDFILE"

if (( WIPE )); then
  rm -rf "$K/data" "$K/server.properties" "$K/broker.port"
  echo "wiped .kafka/data"
fi
