// The postMessage baseline computes what the reference computes with one
// partition per worker (each worker's watermark is its own). Needs the build:
// npx tsc -p tsconfig.json (the workers load dist/bench/baselines/*.js).
import { describe, expect, it } from 'vitest';
import { runPostMessagePool, shardOf, type PostMessagePoolOptions } from '../../dist/bench/baselines/postmessage-pool.js';
import { generatedRecords } from '../reference/generated-records.js';
import { canonicalLines, runReference, type RefResult } from '../reference/reference-job.js';

const SHAPE = { count: 40_000, keys: 200, seed: 42, disorder: 40, eventsPerMs: 20, windowMs: 50, outOfOrderness: 15 };

const CASES: Array<[string, PostMessagePoolOptions]> = [
  ['piscina, 2 workers, small batches', { ...SHAPE, workers: 2, batch: 64, transport: 'piscina' }],
  ['piscina, 3 workers, odd batch, 1 in flight', { ...SHAPE, workers: 3, batch: 37, inFlight: 1, transport: 'piscina' }],
  ['worker_threads, 2 workers, default batch', { ...SHAPE, workers: 2, transport: 'worker_threads' }],
  ['worker_threads, 1 worker, batch of 1', { ...SHAPE, count: 5_000, workers: 1, batch: 1, inFlight: 8, transport: 'worker_threads' }],
];

describe('postMessage pool baseline', () => {
  it.each(CASES)('matches the reference with per-worker watermarks: %s', async (_name, opts) => {
    const got = await runPostMessagePool({ ...opts, collect: true });
    const W = opts.workers;
    const ref = runReference(generatedRecords(opts), {
      window: { kind: 'tumbling', size: opts.windowMs },
      aggregates: ['count', 'sum', 'min', 'max'],
      outOfOrderness: opts.outOfOrderness,
      allowedLateness: 0,
      partitions: W,
      partitionOf: (key) => shardOf(key, W),
    });
    expect(ref.late.length).toBeGreaterThan(0);
    expect(got.late).toBe(ref.late.length);
    expect(got.windowsFired).toBe(ref.results.length);
    expect(canonicalLines(got.results as unknown as RefResult[])).toEqual(canonicalLines(ref.results));
  });

  it('counts without collecting (null sink)', async () => {
    const got = await runPostMessagePool({ ...SHAPE, workers: 2 });
    expect(got.results).toBeUndefined();
    expect(got.windowsFired).toBeGreaterThan(0);
    expect(got.recordsPerSec).toBeGreaterThan(0);
  });
});
