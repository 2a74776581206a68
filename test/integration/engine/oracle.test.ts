import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { runReference, canonicalLines, type RefRecord, type RefWindow } from '../../reference/reference-job.js';
import { runEngine, partitionOf } from '../../helpers/engine-run.js';
import spread from '../../fixtures/spread-aggregate.mjs';

/** Random keyed records whose event time drifts forward with jitter of up to `disorder` ms. */
function randomRecords(seed: number, n: number, keys: number, disorder: number): RefRecord[] {
  return fc.sample(fc.tuple(fc.nat(keys - 1), fc.nat(disorder), fc.integer({ min: -5000, max: 5000 }), fc.nat(3)), { seed, numRuns: n })
    .map(([k, jitter, cents, step], i) => ({ key: `k${k}`, ts: 1_700_000_000_000 + i * 3 + step - jitter, value: cents / 100 }));
}

const WINDOWS: [string, RefWindow][] = [
  ['tumbling:100ms', { kind: 'tumbling', size: 100 }],
  ['sliding:300ms,100ms', { kind: 'sliding', size: 300, slide: 100 }],
  ['session:40ms', { kind: 'session', gap: 40 }],
];

describe('engine output equals the single-threaded reference', () => {
  for (const [windowText, window] of WINDOWS) {
    for (const [P, W] of [[1, 1], [4, 2], [16, 1], [16, 2], [64, 2], [64, 1], [4, 1], [1, 2]] as const) {
      it(`${windowText}, P=${P} W=${W}, disorder within the bound`, async () => {
        const records = randomRecords(P * 31 + W, 3000, 40, 50);
        const aggregates = ['count', 'sum', 'min', 'max', 'avg'];
        const ref = runReference(records, { window, aggregates, outOfOrderness: 60, allowedLateness: 0, partitions: P, partitionOf: partitionOf(P) });
        const out = await runEngine(records, { window: windowText, outOfOrderness: 60, partitions: P, workers: W });
        expect(out.late).toEqual([]);
        expect(ref.late).toEqual([]);
        expect([...out.lines].sort()).toEqual(canonicalLines(ref.results));
        expect(out.summary.recordsProcessed).toBe(records.length);
      });
    }
  }

  for (const [windowText, window] of WINDOWS) {
    for (const [P, W] of [[1, 1], [4, 2], [64, 2]] as const) {
      it(`${windowText}, P=${P} W=${W}, disorder beyond the bound: late firings and late output`, async () => {
        const records = randomRecords(P * 7 + W, 3000, 10, 1200);
        const aggregates = ['count', 'sum', 'min', 'max', 'avg', 'spread'];
        const ref = runReference(records, {
          window, aggregates, userAggregate: spread, outOfOrderness: 30, allowedLateness: 150, partitions: P, partitionOf: partitionOf(P),
        });
        const out = await runEngine(records, {
          window: windowText, outOfOrderness: '30ms', allowedLateness: '150ms', partitions: P, workers: W,
          agg: aggregates.join(','), aggregateModule: new URL('../../fixtures/spread-aggregate.mjs', import.meta.url).pathname,
        });
        const refLines = canonicalLines(ref.results);
        expect(refLines.some((l) => l.includes('"fire":"late"'))).toBe(true);
        expect(ref.late.length).toBeGreaterThan(0);
        expect([...out.lines].sort()).toEqual(refLines);
        const key = (r: { key: string; ts: number; value: number }): string => `${r.key}|${r.ts}|${r.value}`;
        expect(out.late.map(key).sort()).toEqual(ref.late.map(key).sort());
        expect(out.summary.late).toBe(ref.late.length);
      });
    }
  }
});
