// The flag-only core job (bench:core, bench:pipeline): generator → tumbling
// 1 s windows with all five aggregates over 10k keys → null sink, as engine
// options, and the same job's settings for the single-threaded baseline.
import type { EngineOptions } from '../src/index.js';
import { BASELINE_DEFAULTS, type BaselineOptions } from './baselines/baseline-options.js';

export function coreEngineOptions(a: { count: number; keys: number; partitions: number; workers: number }): EngineOptions {
  return {
    source: 'generator', count: a.count, keys: a.keys, window: 'tumbling:1s', agg: 'count,sum,min,max,avg',
    outOfOrderness: '200ms', sink: 'null', lateOutput: 'null', partitions: a.partitions, workers: a.workers,
    progress: 0, httpPort: 0,
  };
}

export function coreBaselineOptions(a: { count: number; keys: number }): BaselineOptions {
  return { ...BASELINE_DEFAULTS, count: a.count, keys: a.keys };
}
