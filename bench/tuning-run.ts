// Child process of the `tuning` scenario: one engine run with the given ring
// size, batch and young-generation settings. Prints one JSON line.
//
// Young generation per thread (V8 11 makes it 3 × the semi-space):
// - the main thread's comes from this process's own `--max-semi-space-size`,
//   set on its command line by the parent (V8 flags are process-wide, and V8
//   lets the flag win over a Worker's resourceLimits, so by itself it sets
//   every worker's too);
// - `--main-only`: this process clears the flag (0 = unset) after start-up,
//   before any worker exists: the main thread keeps it, the workers get
//   V8's default;
// - `--worker-young MB`: EngineOptions.workerYoungGeneration, i.e. Piscina's
//   resourceLimits.maxYoungGenerationSizeMb for every worker (the pool clears
//   the process flag itself, so the main thread's stays whatever it is).
// The JSON carries each thread's V8 heap_size_limit (old + young generation
// maximum), so a result shows which setting each thread really got.
import { setFlagsFromString } from 'node:v8';
import { parseArgs } from 'node:util';
import { CORE_JOB, lean, runEngine } from './engine-run.js';
import type { createEngine } from '../src/index.js';

const names = ['ring-size', 'max-batch', 'partitions', 'workers', 'count', 'rate', 'seconds', 'warmup', 'worker-young'];
const mainOnly = process.argv.includes('--main-only');
const flags = process.argv.slice(2).filter((a) => a !== '--main-only');
const { values: v } = parseArgs({ options: Object.fromEntries(names.map((k) => [k, { type: 'string' as const }])), args: flags });
if (mainOnly) setFlagsFromString('--max-semi-space-size=0');
let heapLimitBytes: { main: number; workers: number[] } | undefined;
const onStart = (e: ReturnType<typeof createEngine>): void => {
  // Read when the run is over (the workers' final snapshots carry their heap figures).
  void e.done.then(() => {
    const st = e.stats();
    heapLimitBytes = {
      main: st.gc.threads.find((t) => t.thread === 'main')?.heap?.limitBytes ?? NaN,
      workers: st.workers.map((w) => w.heap?.limitBytes ?? NaN),
    };
  }, () => {});
};
const r = await runEngine({
  ...CORE_JOB, ringSize: v['ring-size'] ?? '1MiB', maxBatch: Number(v['max-batch'] ?? 256),
  partitions: Number(v.partitions ?? 4), workers: Number(v.workers ?? 1),
  ...(v['worker-young'] ? { workerYoungGeneration: Number(v['worker-young']) } : {}),
  // Throttled: `warmup` s at the rate first (JIT, table growth), then `seconds` measured (latency since the mark).
  ...(v.rate ? { rate: Number(v.rate), duration: `${Math.round((Number(v.warmup ?? 2) + Number(v.seconds ?? 5)) * 1000)}ms` } : { count: Number(v.count ?? 3_000_000) }),
}, onStart, v.rate ? Number(v.warmup ?? 2) * 1000 : undefined); // onStart's handler is registered before runEngine awaits done, so it has run by now
process.stdout.write(JSON.stringify({ ...lean(r), heapLimitBytes }) + '\n');
