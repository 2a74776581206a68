#!/usr/bin/env bash
# Profiles a realistic generator workload and leaves the report in profiles/.
#
# Usage: scripts/profile.sh doctor|flame|bubbleprof|heap|cpu-prof|heap-prof [-- extra sabre run flags]
#   doctor, flame, bubbleprof, heap  run under clinic (npx clinic; `npm i -D clinic` adds it)
#   cpu-prof                         node --cpu-prof: one .cpuprofile per thread (main and every worker)
#   heap-prof                        node --heap-prof: one .heapprofile per thread
# Workload (override with SABRE_PROFILE_ARGS): the core job at 1M records/s
# offered for 15 s — generator → tumbling 1 s windows, five aggregates, 10k
# keys, P=4, W=cores-1 → null sink.
#
# clinic 13.0.0 on Node 20.20 here (checked 2026-12-02, see README#profiling):
#   doctor, bubbleprof, heap, flame  work, for the main thread. Node runs
#   clinic's preloads in every worker thread too, and a worker's collector
#   wrote into the main thread's data files (named after the shared pid):
#   doctor failed with "Decoded message is not valid", bubbleprof printed
#   "decoding error with chunk". scripts/profile/clinic-main-only.cjs sends
#   the workers' collectors to a scratch directory, deleted afterwards.
#   flame (0x, --prof) shows the main thread only.
# clinic's usage-statistics prompt never resolves without a TTY (the run exits
# at once, silently); this script opts out through a private XDG_CONFIG_HOME.
# For a worker's flame graph use cpu-prof: Sabre's pool passes the process's
# flags to its workers, so each thread writes its own CPU.*.cpuprofile (open it
# in Chrome DevTools → Performance, or speedscope); the script also prints the
# top self-time functions per thread.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tool="${1:-}"
shift || true
[ "${1:-}" = "--" ] && shift
cores="$(node -p 'require("os").availableParallelism()')"
workers=$(( cores > 1 ? cores - 1 : 1 ))
default_args="--source generator --rate 1000000 --duration 15s --keys 10000 --window tumbling:1s --agg count,sum,min,max,avg --partitions 4 --workers $workers --sink null --late-output null --progress 0 --http-port 0"
read -r -a args <<< "${SABRE_PROFILE_ARGS:-$default_args}"
args+=("$@")
stamp="$(date +%Y%m%d-%H%M%S)"
out="$root/profiles/$tool-$stamp"
mkdir -p "$out"
cd "$root"
[ -f dist/src/index.js ] || npx tsc -p tsconfig.json

clinic() {
  # $CLINIC names a clinic binary; else the project's (npm i -D clinic); else npx fetches it.
  if [ -n "${CLINIC:-}" ]; then "$CLINIC" "$@"
  elif [ -x "$root/node_modules/.bin/clinic" ]; then "$root/node_modules/.bin/clinic" "$@"
  else npx --yes clinic "$@"; fi
}

case "$tool" in
  doctor|flame|bubbleprof|heap)
    sub="$tool"; [ "$tool" = heap ] && sub=heapprofiler
    cfg="$root/profiles/.clinic-config"
    mkdir -p "$cfg/insight-nodejs"
    [ -f "$cfg/insight-nodejs/insight-clinic.json" ] || echo '{"optOut":true}' > "$cfg/insight-nodejs/insight-clinic.json"
    # The guard keeps clinic's collectors in Sabre's worker threads away from the main thread's files (see the file).
    (cd "$out" && SABRE_PROFILE_OUT="$out" XDG_CONFIG_HOME="$cfg" clinic "$sub" --open=false --dest "$out" -- \
      node -r "$root/scripts/profile/clinic-main-only.cjs" "$root/bin/sabre.js" run "${args[@]}")
    rm -rf "$out/worker-threads-discarded"
    echo "profile: clinic $sub report in $out" >&2 ;;
  cpu-prof)
    node --cpu-prof --cpu-prof-dir="$out" bin/sabre.js run "${args[@]}"
    echo "profile: $(ls "$out" | wc -l) .cpuprofile files (main thread + each worker) in $out" >&2
    # Top self time per thread: enough to see where a thread's time goes without opening DevTools.
    node - "$out" <<'JS'
const { readFileSync, readdirSync } = require('node:fs');
const dir = process.argv[2];
for (const f of readdirSync(dir).filter((n) => n.endsWith('.cpuprofile')).sort()) {
  const p = JSON.parse(readFileSync(`${dir}/${f}`, 'utf8'));
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const self = new Map();
  let total = 0;
  p.samples.forEach((id, i) => {
    const dt = p.timeDeltas[i] || 0;
    const cf = byId.get(id).callFrame;
    const k = `${cf.functionName || '(anonymous)'} ${cf.url.split('/').slice(-2).join('/')}:${cf.lineNumber + 1}`;
    self.set(k, (self.get(k) || 0) + dt);
    total += dt;
  });
  console.log(`== ${f} (${(total / 1e6).toFixed(2)} s sampled)`);
  [...self].sort((a, b) => b[1] - a[1]).slice(0, 12).forEach(([k, t]) => console.log(`${((100 * t) / total).toFixed(1).padStart(5)}%  ${k}`));
}
JS
    ;;
  heap-prof)
    node --heap-prof --heap-prof-dir="$out" bin/sabre.js run "${args[@]}"
    echo "profile: $(ls "$out" | wc -l) .heapprofile files (main thread + each worker) in $out" >&2 ;;
  *)
    awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0" >&2
    exit 1 ;;
esac
