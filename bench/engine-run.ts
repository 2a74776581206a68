// One engine run for the benchmark scenarios: generator → job → null sink,
// returning throughput, the per-stage latency percentiles of engine.stats()
// (µs) and the worker counters. Everything is measured on the main thread of
// this process; nothing is extrapolated.
import { createEngine, type EngineOptions, type RunSummary } from '../src/index.js';
import type { Quantiles, StatsSnapshot } from '../src/metrics/stats-snapshot.js';

export interface StageFigures {
  count: number;
  p50: number;
  p99: number;
  p999: number;
  max: number;
}

export interface EngineRun {
  recordsIn: number;
  recordsProcessed: number;
  results: number;
  late: number;
  seconds: number;
  recordsPerSec: number;
  /** Per stage (µs), merged over workers, since the start; absent when metrics are off. */
  latencyUs?: { queue: StageFigures; process: StageFigures; emit: StageFigures };
  /** The same after the warm-up (runEngine's markAfterMs): steady state; absent without a mark. */
  steadyUs?: { queue: StageFigures; process: StageFigures; emit: StageFigures };
  /** GC per thread (main, worker-N): pauses, total and longest (ms). */
  gc?: { thread: string; count: number; totalMs: number; maxMs: number; pauseBuckets: number[] }[];
}

const pick = (q: Quantiles): StageFigures => ({ count: q.count, p50: q.p50, p99: q.p99, p999: q.p999, max: q.max });

/** Defaults of the core job (tumbling 1 s, five aggregates, 10k keys, null sinks, no HTTP, no progress line). */
export const CORE_JOB: EngineOptions = {
  source: 'generator', keys: 10_000, window: 'tumbling:1s', agg: 'count,sum,min,max,avg', outOfOrderness: '200ms',
  sink: 'null', lateOutput: 'null', deadLetter: 'null', progress: 0, httpPort: 0,
};

/** The heavy job: sliding 10 s windows every 1 s over 100k keys (ten windows per record). */
export const HEAVY_JOB: EngineOptions = { ...CORE_JOB, keys: 100_000, window: 'sliding:10s,1s' };

export function figuresOf(st: StatsSnapshot): NonNullable<EngineRun['latencyUs']> {
  const s = st.latency.stages;
  return { queue: pick(s.queue.all), process: pick(s.process.all), emit: pick(s.emit.all) };
}

export function gcOf(st: StatsSnapshot): NonNullable<EngineRun['gc']> {
  return st.gc.threads.map((t) => ({ thread: t.thread, count: t.count, totalMs: round3(t.totalMs), maxMs: round3(Math.max(...Object.values(t.kinds).map((k) => k.pauseMs.max))), pauseBuckets: t.pauseBuckets }));
}

const round3 = (x: number): number => Math.round(x * 1000) / 1000;

/** Run the generator job to its end (count or duration) and collect the figures. */
export async function runEngine(opts: EngineOptions, onStart?: (e: ReturnType<typeof createEngine>) => void,
  markAfterMs?: number): Promise<EngineRun & { summary: RunSummary }> {
  const engine = createEngine(opts);
  await engine.start();
  onStart?.(engine);
  // Steady state: latency counted afresh once the warm-up (JIT, table growth, first GCs) is over.
  const mark = markAfterMs === undefined ? undefined : setTimeout(() => engine.markLatency(), markAfterMs);
  const s = await engine.done;
  clearTimeout(mark);
  const seconds = s.elapsedMs / 1000;
  const run: EngineRun & { summary: RunSummary } = {
    recordsIn: s.recordsIn, recordsProcessed: s.recordsProcessed, results: s.results, late: s.late,
    seconds, recordsPerSec: s.recordsIn / seconds, summary: s,
  };
  if (opts.metrics !== false) {
    const st = engine.stats();
    run.latencyUs = figuresOf(st);
    const since = st.latency.sinceMark;
    if (since) run.steadyUs = { queue: pick(since.stages.queue), process: pick(since.stages.process), emit: pick(since.stages.emit) };
    run.gc = gcOf(st);
  }
  return run;
}

/** A run without its RunSummary (for JSON). */
export function lean(r: EngineRun & { summary?: RunSummary }): EngineRun {
  const { summary: _s, ...rest } = r;
  return rest;
}
