// npm run bench:checkpoint — what checkpoints cost, in one invocation:
// 1. throughput: the core job (generator → tumbling 1 s windows, 5 aggregates,
//    10k keys → null sink), unthrottled, for a fixed wall time with no
//    checkpoints, every 10 s and every 1 s, alternating, `repeat` rounds;
// 2. latency: the same job throttled to `rate` records/s for `warmup` +
//    `latencySeconds`, again none / 10 s / 1 s alternating; per stage the
//    steady-state p50/p99/p99.9/max (engine.markLatency() after the warm-up);
// 3. the pause itself, per checkpoint of those runs: how long the main thread
//    held the sources (positions recorded, BARRIER written into every ring) and
//    how long each worker stopped reading (alignment, serialise, write+fsync);
// 4. state size: a checkpoint of 100k and of 1M keys of open state. The
//    windows are 1 h long there (unthrottled, event time advances 1 s per 1M
//    records), so every key seen stays open; once the workers hold 99.9% of
//    the keys (or after `stateSeconds`), engine.stop({ checkpoint: true }) takes the
//    checkpoint: sources stopped, barrier behind what the rings hold.
import { mkdtempSync, rmSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { numArgs, progress, report, stats } from './bench-util.js';
import { CORE_JOB, lean, runEngine, type EngineRun } from './engine-run.js';
import type { CheckpointTiming } from '../src/checkpoint/checkpointer.js';
import { createEngine, type EngineOptions } from '../src/index.js';
import { W_KEYS } from '../src/metrics/counters.js';

const a = numArgs({
  seconds: 12, repeat: 3, partitions: 4, workers: 1, keys: 10_000,
  rate: 500_000, latencySeconds: 25, warmup: 3, stateSeconds: 30,
});
const loadAvgAtStart = Math.round(loadavg()[0]! * 100) / 100;

type Mode = 'none' | 'every10s' | 'every1s';
const MODES: [Mode, string | undefined][] = [['none', undefined], ['every10s', '10s'], ['every1s', '1s']];

interface Run extends EngineRun { checkpoints: CheckpointTiming[]; completed: number; keysAtEnd: number }

async function run(opts: EngineOptions, interval: string | undefined, markAfterMs?: number): Promise<Run> {
  const dir = interval ? mkdtempSync(join(tmpdir(), 'sabre-bench-cp-')) : undefined;
  try {
    const r = await runEngine({ ...opts, ...(dir ? { checkpointDir: dir, checkpointInterval: interval } : {}) }, undefined, markAfterMs);
    const cp = r.summary.checkpoints;
    return {
      ...lean(r), checkpoints: cp?.recent ?? [], completed: cp?.completed ?? 0,
      keysAtEnd: r.summary.workers.reduce((s, w) => s + w.keys, 0),
    };
  } finally {
    if (dir) rmSync(dir, { recursive: true, force: true });
  }
}

const round3 = (x: number): number => Math.round(x * 1000) / 1000;
const slim = (t: CheckpointTiming) => ({
  id: t.id, holdMs: round3(t.holdMs), durationMs: round3(t.durationMs), bytes: t.bytes,
  workers: t.workers.map((w) => ({ alignMs: round3(w.alignMs), serializeMs: round3(w.serializeMs), writeMs: round3(w.writeMs) })),
});

/** min/median/max of each pause component over every checkpoint (and every worker) of the runs. */
function pauses(ts: CheckpointTiming[]) {
  const ws = ts.flatMap((t) => t.workers);
  const s = (xs: number[]) => (xs.length ? stats(xs.map(round3)) : undefined);
  return {
    checkpoints: ts.length,
    holdMs: s(ts.map((t) => t.holdMs)),
    durationMs: s(ts.map((t) => t.durationMs)),
    bytes: s(ts.map((t) => t.bytes)),
    alignMs: s(ws.map((w) => w.alignMs)),
    serializeMs: s(ws.map((w) => w.serializeMs)),
    writeMs: s(ws.map((w) => w.writeMs)),
    /** The worker's loop does nothing else: its partitions pause this long (plus alignment for early rings). */
    workerPauseMs: s(ws.map((w) => w.serializeMs + w.writeMs)),
  };
}

const STAGES = ['queue', 'process', 'emit'] as const;
const FIELDS = ['p50', 'p99', 'p999', 'max'] as const;
function steady(runs: Run[]) {
  const out: Record<string, Record<string, ReturnType<typeof stats>>> = {};
  for (const st of STAGES) {
    out[st] = {};
    for (const f of FIELDS) out[st]![f] = stats(runs.map((r) => r.steadyUs?.[st][f] ?? NaN));
  }
  return out;
}

const job: EngineOptions = { ...CORE_JOB, keys: a.keys, partitions: a.partitions, workers: a.workers };
const total = a.repeat * (MODES.length * 2 + 2);
let step = 0;
const tick = (msg: string) => progress(`[bench:checkpoint] ${++step}/${total} ${msg}`);

// 1. Throughput, unthrottled.
const tput: Record<Mode, Run[]> = { none: [], every10s: [], every1s: [] };
for (let r = 1; r <= a.repeat; r++) {
  for (const [mode, interval] of MODES) {
    tick(`throughput round ${r}/${a.repeat}, checkpoints ${mode} (${a.seconds} s)`);
    tput[mode].push(await run({ ...job, duration: `${a.seconds}s` }, interval));
  }
}

// 2 and 3. Latency at a fixed offered rate, and the pause of each checkpoint.
const lat: Record<Mode, Run[]> = { none: [], every10s: [], every1s: [] };
for (let r = 1; r <= a.repeat; r++) {
  for (const [mode, interval] of MODES) {
    tick(`latency round ${r}/${a.repeat} at ${a.rate} rec/s, checkpoints ${mode} (${a.warmup} + ${a.latencySeconds} s)`);
    lat[mode].push(await run({ ...job, rate: a.rate, duration: `${(a.warmup + a.latencySeconds) * 1000}ms` }, interval, a.warmup * 1000));
  }
}

/** Fill `keys` keys of open 1 h windows, then take one checkpoint of all of them (see the header). */
async function stateCheckpoint(keys: number) {
  const dir = mkdtempSync(join(tmpdir(), 'sabre-bench-cp-'));
  try {
    const engine = createEngine({ ...job, keys, window: 'tumbling:1h', checkpointDir: dir, checkpointInterval: '1h' });
    await engine.start();
    const t0 = performance.now();
    // 99.9% of the keys: the last few of a uniform draw take as long again (coupon collector); keysHeld says how many.
    while (engine.counters.sumWorkers(W_KEYS) < keys * 0.999 && performance.now() - t0 < a.stateSeconds * 1000) await sleep(20);
    const keysHeld = engine.counters.sumWorkers(W_KEYS);
    const fillSeconds = (performance.now() - t0) / 1000;
    const s = await engine.stop({ checkpoint: true });
    const t = s.checkpoints!.recent[s.checkpoints!.recent.length - 1]!;
    return { keysHeld, fillSeconds: round3(fillSeconds), recordsIn: s.recordsIn, checkpoint: slim(t), bytesPerKey: t.bytes / keysHeld };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// 4. State size.
const sizes = [];
for (const keys of [100_000, 1_000_000]) {
  const runs = [];
  for (let r = 1; r <= a.repeat; r++) {
    tick(`state size with ${keys} keys, run ${r}/${a.repeat}`);
    runs.push(await stateCheckpoint(keys));
  }
  const ts = runs.map((x) => x.checkpoint);
  sizes.push({ keys, runs, pause: pauses(ts.map((t) => ({ ...t, workers: t.workers }))), bytesPerKey: stats(runs.map((x) => x.bytesPerKey)) });
}
progress('');

const rates = (rs: Run[]) => stats(rs.map((x) => x.recordsPerSec));
const none = rates(tput.none);
/** Per round, checkpointed ÷ none of the same round: the noise shows in their spread. */
const pairs = (m: Mode) => stats(tput[m].map((x, i) => x.recordsPerSec / tput.none[i]!.recordsPerSec));
report('checkpoint', {
  repeat: a.repeat, loadAvgAtStart,
  job: { window: 'tumbling:1s', aggregates: 5, keys: a.keys, partitions: a.partitions, workers: a.workers },
  throughput: {
    secondsPerRun: a.seconds,
    recordsPerSec: { none, every10s: rates(tput.every10s), every1s: rates(tput.every1s) },
    pairRatios: { every10s: pairs('every10s'), every1s: pairs('every1s') },
    cost: { every10s: 1 - rates(tput.every10s).median / none.median, every1s: 1 - rates(tput.every1s).median / none.median },
    checkpointsPerRun: { every10s: tput.every10s.map((x) => x.completed), every1s: tput.every1s.map((x) => x.completed) },
    pause: { every10s: pauses(tput.every10s.flatMap((x) => x.checkpoints)), every1s: pauses(tput.every1s.flatMap((x) => x.checkpoints)) },
  },
  latency: {
    rate: a.rate, warmupSeconds: a.warmup, seconds: a.latencySeconds,
    modes: Object.fromEntries(MODES.map(([m]) => [m, {
      achievedRecordsPerSec: stats(lat[m].map((x) => x.recordsIn / (a.warmup + a.latencySeconds))),
      checkpointsPerRun: lat[m].map((x) => x.completed),
      /** After the warm-up (engine.markLatency at warmupSeconds), µs. */
      steadyLatencyUs: steady(lat[m]),
      pause: pauses(lat[m].flatMap((x) => x.checkpoints)),
      checkpoints: lat[m].map((x) => x.checkpoints.map(slim)),
      gc: lat[m].map((x) => x.gc),
    }])),
  },
  stateSize: sizes,
  target: 'throughput cost < 10% at a 10 s interval; report the latency cost',
});
