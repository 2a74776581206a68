// npm run bench:metrics — what observability costs: the core job (generator →
// tumbling 1 s windows, five aggregates, 10k keys → null sink) with
// `metrics: true` and `metrics: false` (both with httpPort 0), alternating in
// one process, and the ratio of medians. Target: metrics cost < 5%.
import { CORE_JOB, runEngine } from './engine-run.js';
import { loadavg } from 'node:os';
import { numArgs, progressBar, report, stats } from './bench-util.js';

const a = numArgs({ count: 5_000_000, keys: 10_000, partitions: 4, workers: 1, repeat: 5 });
const loadAvgAtStart = Math.round(loadavg()[0]! * 100) / 100;
const on: number[] = [];
const off: number[] = [];
const t0 = performance.now();
for (let r = 1; r <= a.repeat; r++) {
  // Alternate which goes first, so neither always runs on a warmer (or more tired) machine.
  const order = r % 2 === 1 ? [true, false] : [false, true];
  for (const metrics of order) {
    progressBar(`bench:metrics run ${r}/${a.repeat} metrics=${metrics}`, (r - 1) * 2 + (metrics === order[0] ? 1 : 2), a.repeat * 2, t0);
    const x = await runEngine({ ...CORE_JOB, count: a.count, keys: a.keys, partitions: a.partitions, workers: a.workers, metrics, httpPort: 0 });
    (metrics ? on : off).push(x.recordsPerSec);
  }
}
process.stderr.write('\n');
const sOn = stats(on);
const sOff = stats(off);
const ratio = sOn.median / sOff.median;
// Each round's on/off pair ran back to back, so its ratio is less exposed to load that drifts over the run.
const pairRatios = on.map((x, i) => x / off[i]!);
report('metrics', {
  loadAvgAtStart, repeat: a.repeat,
  job: { count: a.count, keys: a.keys, window: 'tumbling:1s', aggregates: 5, partitions: a.partitions, workers: a.workers },
  metricsOnRecordsPerSec: sOn,
  metricsOffRecordsPerSec: sOff,
  ratio,
  cost: 1 - ratio,
  pairRatios: stats(pairRatios),
  pairedCost: 1 - stats(pairRatios).median,
  target: { maxCost: 0.05 },
});
