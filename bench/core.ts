// npm run bench:core — the core job (generator → tumbling 1 s windows with all
// five aggregates over 10k keys → null sink) on Sabre with P=4, W=2, next to
// the idiomatic single-threaded Node version of the same job, alternating in
// one process, and the ratio of medians.
import { createEngine } from '../src/index.js';
import { runSingleThread } from './baselines/single-thread.js';
import { coreBaselineOptions, coreEngineOptions } from './core-job.js';
import { numArgs, progress, report, stats } from './bench-util.js';

const a = numArgs({ count: 10_000_000, keys: 10_000, partitions: 4, workers: 2, repeat: 3 });

async function sabreOnce(): Promise<{ recordsPerSec: number; results: number }> {
  const engine = createEngine(coreEngineOptions(a));
  await engine.start();
  const s = await engine.done;
  return { recordsPerSec: s.recordsIn / (s.elapsedMs / 1000), results: s.results };
}

const sabre: number[] = [];
const single: number[] = [];
let results = 0;
let baselineWindows = 0;
for (let r = 1; r <= a.repeat; r++) {
  progress(`[bench:core] run ${r}/${a.repeat}: sabre P=${a.partitions} W=${a.workers}`);
  const s = await sabreOnce();
  sabre.push(s.recordsPerSec);
  results = s.results;
  progress(`[bench:core] run ${r}/${a.repeat}: single-threaded Node`);
  const b = runSingleThread(coreBaselineOptions(a));
  single.push(b.recordsPerSec);
  baselineWindows = b.windowsFired;
}
progress('');
const sabreStats = stats(sabre);
const singleStats = stats(single);
report('core', {
  job: { count: a.count, keys: a.keys, window: 'tumbling:1s', aggregates: 5, partitions: a.partitions, workers: a.workers },
  sabreRecordsPerSec: sabreStats,
  singleThreadRecordsPerSec: singleStats,
  windowsFired: { sabre: results, singleThread: baselineWindows },
  ratio: sabreStats.median / singleStats.median,
  target: 1.5,
});
