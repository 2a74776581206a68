// The pipeline reference and the windowed-job reference (reference-job.ts,
// checked by hand against docs/SEMANTICS.md) implement the same windows: a
// job keyed by one field with count/sum/min/max/avg gives the same lines.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { avg, count, file, job, max, min, session, sliding, sum, tumbling } from '../../../src/job/index.js';
import { PLAN } from '../../../src/job/job.js';
import { checkPlans } from '../../../src/job/plan.js';
import { runReference, type RefRecord, type RefWindow } from '../../reference/reference-job.js';
import { partitionOfKey, runReferencePipeline } from '../../reference/reference-pipeline.js';

const windowArb: fc.Arbitrary<RefWindow> = fc.oneof(
  fc.integer({ min: 1, max: 20 }).map((size) => ({ kind: 'tumbling' as const, size })),
  fc.integer({ min: 1, max: 20 }).chain((size) => fc.integer({ min: 1, max: size }).map((slide) => ({ kind: 'sliding' as const, size, slide }))),
  fc.integer({ min: 1, max: 15 }).map((gap) => ({ kind: 'session' as const, gap })),
);

const recordsArb: fc.Arbitrary<RefRecord[]> = fc.array(
  fc.record({ key: fc.constantFrom('a', 'b', 'c', 'd', 'e'), ts: fc.integer({ min: 0, max: 80 }), value: fc.integer({ min: -40, max: 40 }).map((v) => v / 4) }),
  { maxLength: 50 },
);

describe('reference pipeline', () => {
  it('agrees with the windowed-job reference', () => {
    fc.assert(fc.property(
      windowArb, recordsArb, fc.integer({ min: 0, max: 15 }), fc.constantFrom(0, 4, 20), fc.integer({ min: 1, max: 3 }),
      (w, records, outOfOrderness, allowedLateness, partitions) => {
        const win = w.kind === 'tumbling' ? tumbling(w.size) : w.kind === 'sliding' ? sliding(w.size, w.slide) : session(w.gap);
        const stream = job({ source: file('in.ndjson', { fields: { key: 'string', ts: 'number', value: 'number' }, time: 'ts' }) })
          .keyBy('key').window(win).aggregate({ count: count(), sum: sum('value'), min: min('value'), max: max('value'), avg: avg('value') });
        const partitionOf = partitionOfKey(partitions);
        const plan = checkPlans([stream[PLAN]], 'property');
        const got = runReferencePipeline(plan, records, { partitions, partitionOf, outOfOrderness, allowedLateness });
        const want = runReference(records, {
          window: w, aggregates: ['count', 'sum', 'min', 'max', 'avg'], outOfOrderness, allowedLateness, partitions, partitionOf,
        });
        const canon = (rows: Record<string, unknown>[]) => rows.map((r) => JSON.stringify(Object.keys(r).sort().map((k) => [k, r[k]]))).sort();
        expect(canon(got.sinks.get('')!)).toEqual(canon(want.results));
        expect(got.late.map(({ key, ts, value }) => ({ key, ts, value }))).toEqual(want.late);
      },
    ), { numRuns: 500 });
  });
});
