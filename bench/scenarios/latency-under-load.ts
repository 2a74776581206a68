// latency-under-load: the core job's maximum throughput first (unthrottled
// runs), then throttled runs at 10%, 50% and 90% of it, plus fixed offered
// rates (default 1M records/s, the target point). A throttled
// generator stamps each record's *intended* send time as its ingest time, so
// a generator that falls behind shows up as latency: no coordinated omission.
// Percentiles per stage come from engine.stats() (µs, merged over workers).
import { CORE_JOB, lean, runEngine, type EngineRun } from '../engine-run.js';
import { stats } from '../bench-util.js';
import type { ScenarioContext } from './scenario.js';
import { machineJitter } from './machine-jitter.js';

const STAGES = ['queue', 'process', 'emit'] as const;
const FIELDS = ['p50', 'p99', 'p999', 'max'] as const;
type Fig = Record<(typeof STAGES)[number], Record<(typeof FIELDS)[number], ReturnType<typeof stats>>>;

function jitterStats(ts: import('./machine-jitter.js').ThreadJitter[]) {
  return {
    gapsOver100usPerSec: stats(ts.map((t) => t.gapsOver100usPerSec)), gapsOver1msPerSec: stats(ts.map((t) => t.gapsOver1msPerSec)),
    longestMs: stats(ts.map((t) => t.longestMs)), lostFraction: stats(ts.map((t) => t.lostFraction)),
    floorP99Us: stats(ts.map((t) => t.floorP99Us)), floorP999Us: stats(ts.map((t) => t.floorP999Us)),
  };
}

/** min/median/max over the repetitions of every stage's every percentile (whole run, or `steady`: after the warm-up). */
export function latencyStats(runs: EngineRun[], steady = false): Fig {
  const out = {} as Fig;
  for (const s of STAGES) {
    out[s] = {} as Fig[typeof s];
    for (const f of FIELDS) out[s][f] = stats(runs.map((r) => (steady ? r.steadyUs : r.latencyUs)?.[s][f] ?? NaN));
  }
  return out;
}

export async function latencyUnderLoad(ctx: ScenarioContext): Promise<Record<string, unknown>> {
  const { smoke, repeat } = ctx;
  const partitions = ctx.num('partitions', 4);
  const workers = ctx.num('workers', Math.max(1, ctx.cores - 1));
  const maxCount = ctx.num('count', smoke ? 200_000 : 3_000_000);
  const seconds = ctx.num('seconds', smoke ? 0.5 : 5);
  // Each throttled run first runs `warmup` seconds at its rate (JIT, table growth, first GCs), then `seconds` measured.
  const warmup = ctx.num('warmup', smoke ? 0.3 : 2);
  const fractions = ctx.list('fractions', [0.1, 0.5, 0.9]);
  const fixed = ctx.list('rates', smoke ? [] : [1_000_000]);
  const job = { ...CORE_JOB, partitions, workers };
  const total = repeat * (2 + fractions.length + fixed.length);

  const maxRuns: EngineRun[] = [];
  for (let r = 0; r < repeat; r++) {
    ctx.tick(`latency-under-load max throughput run ${r + 1}/${repeat}`, total);
    maxRuns.push(lean(await runEngine({ ...job, count: maxCount })));
  }
  const max = stats(maxRuns.map((x) => x.recordsPerSec));
  const points = [
    ...fractions.map((f) => ({ label: `${Math.round(f * 100)}% of max`, fraction: f, rate: Math.round(f * max.median) })),
    ...fixed.map((rate) => ({ label: `${rate} rec/s`, fraction: rate / max.median, rate })),
  ];
  const runs = new Map<number, EngineRun[]>(points.map((_, i) => [i, []]));
  const jitter: Awaited<ReturnType<typeof machineJitter>>[] = [];
  const jitterMs = ctx.num('jitter-ms', smoke ? 300 : 3000);
  // Repetitions outermost: each load level sees the machine at several moments.
  for (let r = 0; r < repeat; r++) {
    ctx.tick(`latency-under-load machine jitter (two spinning threads, ${jitterMs} ms) run ${r + 1}/${repeat}`, total);
    jitter.push(await machineJitter(jitterMs));
    for (const [i, pt] of points.entries()) {
      ctx.tick(`latency-under-load ${pt.label} (${pt.rate} rec/s) run ${r + 1}/${repeat}`, total);
      const run = await runEngine({ ...job, rate: pt.rate, duration: `${Math.round((warmup + seconds) * 1000)}ms` }, undefined, warmup * 1000);
      runs.get(i)!.push(lean(run));
    }
  }
  return {
    smoke, repeat, partitions, workers, seconds, warmupSeconds: warmup,
    job: { window: 'tumbling:1s', aggregates: 5, keys: 10_000 },
    maxThroughput: { count: maxCount, recordsPerSec: max, latencyUs: latencyStats(maxRuns) },
    /**
     * The machine's own floor, measured before each round: the main thread and a worker spin on the
     * clock together; gaps are time they did not run. floorP99Us/floorP999Us: the wait a record arriving
     * at a random moment would see from those gaps alone (combined: either thread's gap delays it).
     */
    machineJitter: {
      seconds: jitterMs / 1000,
      main: jitterStats(jitter.map((j) => j.threads[0]!)),
      worker: jitterStats(jitter.map((j) => j.threads[1]!)),
      combined: { floorP99Us: stats(jitter.map((j) => j.combined.floorP99Us)), floorP999Us: stats(jitter.map((j) => j.combined.floorP999Us)) },
    },
    loads: points.map((pt, i) => {
      const rs = runs.get(i)!;
      return {
        ...pt,
        // Records written over the offered duration (the run's elapsed time also holds the final drain).
        achievedRecordsPerSec: stats(rs.map((x) => x.recordsIn / (warmup + seconds))),
        recordsIn: rs.map((x) => x.recordsIn),
        recordsProcessed: rs.map((x) => x.recordsProcessed),
        /** Whole run, warm-up included. */
        latencyUs: latencyStats(rs),
        /** After the warm-up only (engine.markLatency at `warmupSeconds`): the steady state the targets refer to. */
        steadyLatencyUs: latencyStats(rs, true),
        gc: rs.map((x) => x.gc),
      };
    }),
    stageNotes: {
      queue: 'ingest (intended send time when throttled) → dequeued by the worker',
      process: 'dequeued → aggregate updated (per drain pass, attributed to each record of the pass: an upper bound)',
      emit: 'watermark passed the window end → result line handed to the sink',
    },
    targets: { atRate: 1_000_000, p50Us: 20, p99Us: 200, p999Us: 1000 },
  };
}
