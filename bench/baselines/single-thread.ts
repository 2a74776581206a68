// Baseline: the whole job on the main thread, records as plain objects.
// Run: node dist/bench/baselines/single-thread.js [--count N --keys K ...]; prints JSON.
import { pathToFileURL } from 'node:url';
import { BASELINE_DEFAULTS, parseBaselineArgs, throughput, type BaselineOptions, type BaselineResult } from './baseline-options.js';
import { TradeSource } from './trade-source.js';
import { TumblingWindowJob, type WindowResult } from './tumbling-job.js';

export type { BaselineOptions, BaselineResult } from './baseline-options.js';
export type { WindowResult } from './tumbling-job.js';

export function runSingleThread(opts: BaselineOptions): BaselineResult {
  const source = new TradeSource(opts);
  const results: WindowResult[] = [];
  let windowsFired = 0;
  const job = new TumblingWindowJob(opts.windowMs, opts.outOfOrderness, (r) => {
    windowsFired++;
    if (opts.collect) results.push(r);
  });
  const t0 = performance.now();
  for (let i = 0; i < opts.count; i++) job.process(source.next(i));
  job.end();
  const seconds = (performance.now() - t0) / 1000;
  return {
    records: opts.count,
    seconds,
    recordsPerSec: throughput(opts.count, seconds),
    windowsFired,
    late: job.late,
    ...(opts.collect ? { results } : {}),
  };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const opts = { ...BASELINE_DEFAULTS, ...parseBaselineArgs(process.argv.slice(2)) } as BaselineOptions;
  const { results: _unused, ...summary } = runSingleThread(opts);
  console.log(JSON.stringify({ baseline: 'single-thread', ...opts, ...summary }));
}
