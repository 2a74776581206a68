// tuning: the knobs of docs/TUNING.md, measured. Each configuration runs in
// its own child process (the main thread's V8 flags can only be set at
// start-up), twice per repetition: unthrottled (throughput) and at a fixed
// offered rate (latency p50/p99/p99.9 per stage, GC pauses per thread with
// the pause-length histogram of engine.stats()).
// Knobs (bench/tuning-run.ts says how each reaches which thread):
// - `semi-space N MB`: node --max-semi-space-size=N, main thread and workers;
// - `main semi-space N MB`: the same flag for the main thread only (workers
//   at V8's default);
// - `worker young generation M MB`: --worker-young-generation M (Piscina
//   resourceLimits), workers only (main at V8's default);
// - --ring-size and --max-batch; everything else is the core job's default.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { stats } from '../bench-util.js';
import type { ScenarioContext } from './scenario.js';

const CHILD = fileURLToPath(new URL('../tuning-run.js', import.meta.url));

interface Config {
  name: string;
  /** --max-semi-space-size of the child process (MB). */
  semiMB?: number;
  /** The flag is for the main thread only (the child clears it before the workers start). */
  mainOnly?: boolean;
  /** --worker-young-generation (MB). */
  workerYoungMB?: number;
  ringSize?: string;
  maxBatch?: number;
}

export async function tuningScenario(ctx: ScenarioContext): Promise<Record<string, unknown>> {
  const { smoke, repeat } = ctx;
  const semis = ctx.list('semiMb', smoke ? [1] : [1, 16, 64]);
  const mainSemis = ctx.list('mainSemiMb', smoke ? [1] : [1, 16, 64]);
  const workerYoungs = ctx.list('workerYoungMb', smoke ? [3] : [3, 48, 192]);
  const rings = ctx.strings('ringSizes', smoke ? ['256KiB'] : ['256KiB', '1MiB', '4MiB']);
  const batches = ctx.list('maxBatches', smoke ? [16] : [16, 256, 1024]);
  const rate = ctx.num('rate', smoke ? 100_000 : 1_000_000);
  const seconds = ctx.num('seconds', smoke ? 0.5 : 5);
  const warmup = ctx.num('warmup', smoke ? 0.2 : 2);
  const count = ctx.num('count', smoke ? 50_000 : 3_000_000);
  const configs: Config[] = [
    { name: 'V8 default semi-space' },
    ...semis.map((s) => ({ name: `semi-space ${s} MB`, semiMB: s })),
    ...mainSemis.map((s) => ({ name: `main semi-space ${s} MB`, semiMB: s, mainOnly: true })),
    ...workerYoungs.map((m) => ({ name: `worker young generation ${m} MB`, workerYoungMB: m })),
    ...rings.filter((r) => r !== '1MiB').map((r) => ({ name: `ring ${r}`, ringSize: r })),
    ...batches.filter((b) => b !== 256).map((b) => ({ name: `max-batch ${b}`, maxBatch: b })),
  ];
  const runs = new Map<string, { thr: number[]; thrIn: number[]; thrProcessed: number[]; lat: Record<string, unknown>[] }>(
    configs.map((c) => [c.name, { thr: [], thrIn: [], thrProcessed: [], lat: [] }]));
  const total = repeat * configs.length * 2;
  for (let r = 0; r < repeat; r++) {
    for (const c of configs) {
      const flags = c.semiMB !== undefined ? [`--max-semi-space-size=${c.semiMB}`] : [];
      const common = [...(c.mainOnly ? ['--main-only'] : []), ...(c.workerYoungMB !== undefined ? ['--worker-young', String(c.workerYoungMB)] : []), '--ring-size', c.ringSize ?? '1MiB', '--max-batch', String(c.maxBatch ?? 256),
        '--partitions', String(ctx.num('partitions', 4)), '--workers', String(ctx.num('workers', Math.max(1, ctx.cores - 1)))];
      ctx.tick(`tuning ${c.name} unthrottled run ${r + 1}/${repeat}`, total);
      const a = JSON.parse(execFileSync(process.execPath, [...flags, CHILD, ...common, '--count', String(count)], { encoding: 'utf8' }));
      const x = runs.get(c.name)!;
      x.thr.push(a.recordsPerSec);
      x.thrIn.push(a.recordsIn);
      x.thrProcessed.push(a.recordsProcessed);
      ctx.tick(`tuning ${c.name} at ${rate} rec/s run ${r + 1}/${repeat}`, total);
      const b = JSON.parse(execFileSync(process.execPath, [...flags, CHILD, ...common, '--rate', String(rate), '--seconds', String(seconds), '--warmup', String(warmup)], { encoding: 'utf8' }));
      runs.get(c.name)!.lat.push(b);
    }
  }
  return {
    smoke, repeat, rate, seconds, warmupSeconds: warmup, count,
    rows: configs.map((c) => {
      const x = runs.get(c.name)!;
      const lat = x.lat as { latencyUs: Record<string, Record<string, number>>; steadyUs?: Record<string, Record<string, number>>; gc: { thread: string; count: number; totalMs: number; maxMs: number; pauseBuckets: number[] }[]; recordsIn: number; recordsProcessed: number; heapLimitBytes: { main: number; workers: number[] } }[];
      // Steady state (after the warm-up) where the run has it.
      const f = (stage: string, p: string) => stats(lat.map((l) => (l.steadyUs ?? l.latencyUs)[stage]![p]!));
      return {
        ...c, recordsPerSec: stats(x.thr), unthrottled: { recordsIn: x.thrIn, recordsProcessed: x.thrProcessed },
        atRate: {
          recordsIn: lat.map((l) => l.recordsIn), recordsProcessed: lat.map((l) => l.recordsProcessed),
          queue: { p50: f('queue', 'p50'), p99: f('queue', 'p99'), p999: f('queue', 'p999'), max: f('queue', 'max') },
          process: { p50: f('process', 'p50'), p99: f('process', 'p99'), p999: f('process', 'p999'), max: f('process', 'max') },
          gc: lat.map((l) => l.gc),
        },
        /** V8 heap_size_limit per thread (old + young generation maximum) in the last run: which setting each thread got. */
        heapLimitBytes: lat[lat.length - 1]?.heapLimitBytes,
      };
    }),
    pauseBucketsMs: [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 50, 100, 'inf'],
  };
}
