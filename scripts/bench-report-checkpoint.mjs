// The checkpoint section of docs/BENCHMARKS.md, from the newest full
// `bench:checkpoint` result (bench/checkpoint.ts). Used by bench-report.mjs;
// like it, nothing here is measured: it formats what the JSON holds.

const ms = (v) => (v == null || !Number.isFinite(v) ? '–' : v < 10 ? `${v.toFixed(2)} ms` : v < 100 ? `${v.toFixed(1)} ms` : `${Math.round(v)} ms`);
const mb = (v) => (v == null || !Number.isFinite(v) ? '–' : `${(v / 1e6).toFixed(v < 1e7 ? 2 : 1)} MB`);
const MODE = { none: 'none', every10s: 'every 10 s', every1s: 'every 1 s' };

/**
 * Throughput cost < 10% at a 10 s interval, decided per round (the three
 * modes run back to back in each): met only if every round's 10 s ÷ none is
 * ≥ 0.9, missed only if every one is below; otherwise the rounds straddle
 * 0.9 and the machine's noise is larger than the effect.
 */
function throughputVerdict(r, pct) {
  if (!r) return 'not measured';
  const range = `${r.min.toFixed(3)} – ${r.max.toFixed(3)}`;
  if (r.min >= 0.9) return `**met**: every round's 10 s ÷ none ratio (${range}) is ≥ 0.9 (median cost ${pct(1 - r.median)})`;
  if (r.max < 0.9) return `**missed**: every round's 10 s ÷ none ratio (${range}) is below 0.9`;
  return `**not resolved**: the rounds' 10 s ÷ none ratios (${range}) straddle 0.9 — run-to-run noise here exceeds the 10% to be shown`;
}

/** Lines of the section; `f` holds bench-report's formatters (M, us, mmm, pct, short). */
export function checkpointSection(d, { M, us, mmm, pct, short }) {
  const out = [];
  const w = (...l) => out.push(...l);
  w('## Checkpoints (`npm run bench:checkpoint`)', '');
  if (!d.throughput) {
    // Results written before bench/checkpoint.ts measured latency and pauses.
    w(`An older result (${d.date.slice(0, 10)}) with throughput only: none ${mmm(d.recordsPerSec?.none)}, every 10 s ${mmm(d.recordsPerSec?.every10s)}, every 1 s ${mmm(d.recordsPerSec?.every1s)} M rec/s. Re-run \`npm run bench:checkpoint\` for latency, pauses and state size.`, '');
    return out;
  }
  const j = d.job, t = d.throughput, l = d.latency;
  w(`Core job (tumbling 1 s, five aggregates, ${short(j.keys)} keys → null sink), P=${j.partitions} W=${j.workers}, checkpoints to a temp dir on this machine's disk. `
    + `${d.repeat} rounds, the three modes back to back in each round (none, every 10 s, every 1 s). Commit \`${d.machine.commit}\`, ${d.date.slice(0, 16).replace('T', ' ')} UTC, `
    + `load average ${d.loadAvgAtStart ?? '?'} → ${d.machine.loadAvg1m} on ${d.machine.cores} cores (above the core count, other processes shared the CPUs).`, '');

  w('### Throughput (unthrottled)', '', `${t.secondsPerRun} s per run. Ratio: checkpointed ÷ none of the same round.`, '',
    '| checkpoints | M rec/s | ratio to none, per round | checkpoints per run |', '|---|---|---|---|');
  for (const m of ['none', 'every10s', 'every1s']) {
    w(`| ${MODE[m]} | ${mmm(t.recordsPerSec[m])} | ${m === 'none' ? '–' : mmm(t.pairRatios[m], (v) => v.toFixed(3))} | ${m === 'none' ? '–' : t.checkpointsPerRun[m].join(', ')} |`);
  }
  w('', `Target < 10% throughput cost at a 10 s interval: ${throughputVerdict(t.pairRatios.every10s, pct)}. `
    + `At 1 s: median ratio ${t.pairRatios.every1s.median.toFixed(3)} (cost ${pct(1 - t.pairRatios.every1s.median)}).`, '');

  w(`### Latency at ${short(l.rate)} rec/s offered`, '',
    `Throttled runs of ${l.warmupSeconds} s warm-up + ${l.seconds} s measured (engine.markLatency() after the warm-up; figures are the steady state only), `
    + `so a 10 s interval checkpoints at 10 s and 20 s after the start, inside the measured part when it is ≥ 20 s (${Math.min(...l.modes.every10s.checkpointsPerRun) >= 2 ? 'every 10 s run took at least two' : '**some 10 s runs took fewer than two: too short a run**'}). Per stage from engine.stats() (µs unless marked ms), median (min – max) over the rounds: `
    + 'queue = intended send time → dequeued by the worker (a paused worker shows up here: records wait in its rings); process = dequeued → aggregate updated.', '',
    '| checkpoints | achieved M rec/s | checkpoints per run | stage | p50 | p99 | p99.9 | max |', '|---|---|---|---|---|---|---|---|');
  for (const m of ['none', 'every10s', 'every1s']) {
    const x = l.modes[m];
    for (const st of ['queue', 'process']) {
      const s = x.steadyLatencyUs[st];
      w(`| ${st === 'queue' ? MODE[m] : ''} | ${st === 'queue' ? mmm(x.achievedRecordsPerSec) : ''} | ${st === 'queue' ? x.checkpointsPerRun.join(', ') : ''} | ${st} | ${mmm(s.p50, us)} | ${mmm(s.p99, us)} | ${mmm(s.p999, us)} | ${mmm(s.max, us)} |`);
    }
  }
  const q = (m, f) => l.modes[m].steadyLatencyUs.queue[f].median;
  const delta = (m, f) => {
    const v = q(m, f) - q('none', f);
    return `${v >= 0 ? '+' : '−'}${us(Math.abs(v))}`;
  };
  w('', `Latency cost (queue stage, medians of the rounds, checkpointed − none): every 10 s p99 ${delta('every10s', 'p99')}, p99.9 ${delta('every10s', 'p999')}, max ${delta('every10s', 'max')}; `
    + `every 1 s p99 ${delta('every1s', 'p99')}, p99.9 ${delta('every1s', 'p999')}, max ${delta('every1s', 'max')}.`, '');

  w('### The pause of one checkpoint', '',
    'Per checkpoint, from the checkpointer\'s stats (src/checkpoint/checkpointer.ts) and the figures each worker leaves before its ack: '
    + '*source hold* — the main thread holds the sources while it records their positions and writes BARRIER into every ring; '
    + '*alignment* — a worker\'s first ring delivered the barrier → its last did (the early rings are not read meanwhile); '
    + '*serialise* and *write + fsync* — the worker builds its snapshot and writes it, and its loop does nothing else: **every partition of that worker pauses for their sum**; '
    + '*barrier → manifest* — the whole checkpoint, until the manifest is durable. Median (min – max) over every checkpoint of the runs named.', '',
    '| runs | checkpoints | source hold | alignment | serialise | write + fsync | worker pause | barrier → manifest | snapshot |', '|---|---|---|---|---|---|---|---|---|');
  const row = (name, p) => {
    if (!p || !p.checkpoints) return;
    w(`| ${name} | ${p.checkpoints} | ${mmm(p.holdMs, ms)} | ${mmm(p.alignMs, ms)} | ${mmm(p.serializeMs, ms)} | ${mmm(p.writeMs, ms)} | ${mmm(p.workerPauseMs, ms)} | ${mmm(p.durationMs, ms)} | ${mmm(p.bytes, mb)} |`);
  };
  row(`unthrottled, ${short(j.keys)} keys, every 10 s`, t.pause.every10s);
  row(`unthrottled, ${short(j.keys)} keys, every 1 s`, t.pause.every1s);
  row(`${short(l.rate)} rec/s, ${short(j.keys)} keys, every 10 s`, l.modes.every10s.pause);
  row(`${short(l.rate)} rec/s, ${short(j.keys)} keys, every 1 s`, l.modes.every1s.pause);
  for (const s of d.stateSize) row(`${short(s.keys)} keys of open 1 h windows`, s.pause);
  w('');

  w('### State size', '',
    'Unthrottled core job with 1 h windows (every key seen stays open), filled until the workers hold 99.9% of the keys; then one checkpoint '
    + '(engine.stop({ checkpoint: true }): sources stopped, so no source hold to speak of). One snapshot file per worker; sizes are the files\'.', '',
    '| keys | keys held | snapshot | bytes per key | serialise | write + fsync | barrier → manifest |', '|---|---|---|---|---|---|---|');
  for (const s of d.stateSize) {
    w(`| ${short(s.keys)} | ${s.runs.map((r) => r.keysHeld.toLocaleString('en-US')).join(', ')} | ${mmm(s.pause.bytes, mb)} | ${mmm(s.bytesPerKey, (v) => v.toFixed(0))} | ${mmm(s.pause.serializeMs, ms)} | ${mmm(s.pause.writeMs, ms)} | ${mmm(s.pause.durationMs, ms)} |`);
  }
  w('');
  return out;
}
