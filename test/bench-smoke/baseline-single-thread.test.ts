// The single-threaded Node baseline computes what the reference computes, so
// its throughput is for the same job. Needs the build: npx tsc -p tsconfig.json.
import { describe, expect, it } from 'vitest';
import { runSingleThread, type BaselineOptions } from '../../dist/bench/baselines/single-thread.js';
import { generatedRecords } from '../reference/generated-records.js';
import { canonicalLines, runReference, type RefResult } from '../reference/reference-job.js';

const CASES: Array<[string, BaselineOptions]> = [
  ['default shape, scaled down', { count: 60_000, keys: 1_000, seed: 42, disorder: 100, eventsPerMs: 1000, windowMs: 20, outOfOrderness: 200 }],
  ['disorder beyond the bound: many late records', { count: 30_000, keys: 50, seed: 7, disorder: 40, eventsPerMs: 5, windowMs: 100, outOfOrderness: 10 }],
  ['no out-of-orderness allowance', { count: 30_000, keys: 300, seed: 0, disorder: 3, eventsPerMs: 50, windowMs: 7, outOfOrderness: 0 }],
];

describe('single-thread baseline', () => {
  it.each(CASES)('matches the reference: %s', (_name, opts) => {
    const got = runSingleThread({ ...opts, collect: true });
    const ref = runReference(generatedRecords(opts), {
      window: { kind: 'tumbling', size: opts.windowMs },
      aggregates: ['count', 'sum', 'min', 'max'],
      outOfOrderness: opts.outOfOrderness,
      allowedLateness: 0,
      partitions: 1,
      partitionOf: () => 0,
    });
    expect(got.records).toBe(opts.count);
    expect(got.late).toBe(ref.late.length);
    expect(got.windowsFired).toBe(ref.results.length);
    expect(canonicalLines(got.results as unknown as RefResult[])).toEqual(canonicalLines(ref.results));
  });

  it('the cases exercise late records and many windows', () => {
    const late = CASES.map(([, opts]) => runSingleThread(opts).late);
    expect(late[1]).toBeGreaterThan(100);
  });
});
