#!/usr/bin/env bash
# Put a runnable Kafka broker classpath (kafka_2.13 + runtime deps + a logging binding)
# into .kafka/libs/ using Maven, so no tarball download from outside the package
# registries is needed. Re-runs are free: a stamp file records what is already there,
# and Maven itself reuses ~/.m2.
#
# Usage: bash scripts/kafka/fetch.sh      (KAFKA_VERSION=x.y.z overrides scripts/kafka/VERSION)
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
VERSION="${KAFKA_VERSION:-$(tr -d '[:space:]' < "$HERE/VERSION")}"
LIBS="$ROOT/.kafka/libs"
STAMP="$LIBS/.fetched-version"

if [[ -f "$STAMP" && "$(cat "$STAMP")" == "$VERSION" ]]; then
  echo "kafka $VERSION already in .kafka/libs ($(ls "$LIBS"/*.jar | wc -l) jars), skipping fetch"
  exit 0
fi

command -v mvn >/dev/null || { echo "fetch.sh: mvn not found (apt-get install maven)" >&2; exit 1; }
command -v java >/dev/null || { echo "fetch.sh: java not found (Kafka 4.x needs Java 17+)" >&2; exit 1; }

# Fetch into a fresh dir and swap it in only on success: jars of a previously fetched
# version never mix into the classpath, and a failed fetch leaves the old libs usable.
TMP="$LIBS.tmp"
rm -rf "$TMP"
mkdir -p "$TMP"
start=$(date +%s)
echo "fetching org.apache.kafka:kafka_2.13:$VERSION and its runtime deps via Maven ..."
# kafka.line selects the logging-binding profile in pom.xml (3.x: reload4j, 4.x: log4j2).
# Maven's output (and its stray ANSI codes) only matters when it fails.
mvnlog="$ROOT/.kafka/fetch-mvn.log"
if ! mvn -B -Dstyle.color=never -f "$HERE/pom.xml" \
    -Dkafka.version="$VERSION" -Dkafka.line="${VERSION%%.*}" \
    dependency:copy-dependencies \
    -DincludeScope=runtime -DoutputDirectory="$TMP" > "$mvnlog" 2>&1; then
  echo "fetch.sh: maven failed for kafka $VERSION; tail of $mvnlog:" >&2
  tail -n 40 "$mvnlog" >&2
  rm -rf "$TMP"
  exit 1
fi
echo "$VERSION" > "$TMP/.fetched-version"
rm -rf "$LIBS"
mv "$TMP" "$LIBS"
echo "fetched $(ls "$LIBS"/*.jar | wc -l) jars into .kafka/libs in $(( $(date +%s) - start ))s"
