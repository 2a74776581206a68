// An AggregateSet compiled against the job's row layout reads a row view's
// number and time fields straight from the ring and its other fields once per
// record (prepare): it must give exactly the results of the same records
// added as plain objects, nulls (NaN in the row) and -0 included, whether a
// record goes to one window or to several (a sliding window adds it to each).
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { AggregateSet } from '../../../../dist/src/operators/pipeline/aggregate-set.js';
import { RowView } from '../../../../dist/src/codec/row-view.js';
import { rowLayout } from '../../../../dist/src/codec/row-layout.js';
import { normalizeFields } from '../../../../dist/src/job/fields.js';
import {
  avg, count, countDistinct, first, last, max, min, percentile, stddev, sum, topN, variance,
} from '../../../../dist/src/job/aggregates.js';
import { writeRow } from '../../../helpers/row-body.js';

const layout = rowLayout(normalizeFields({
  card: 'string', amount: { type: 'number', optional: true }, ok: { type: 'boolean', optional: true }, at: 'time',
  merchant: { type: 'string', optional: true },
}, 'test'));

const specs = {
  n: count(), total: sum('amount'), lo: min('amount'), hi: max('amount'), mean: avg('amount'), v: variance('amount'), sd: stddev('amount'),
  p: percentile('amount', 0.5), fa: first('amount'), la: last('amount'), fm: first('merchant'), lm: last('merchant'),
  d: countDistinct('merchant'), top: topN('merchant', 3), dOk: countDistinct('ok'), sOk: sum('ok'), lastAt: last('at'),
  expr: sum((r: { amount: number | null }) => (r.amount ?? 1) * 2),
};

const row = fc.record({
  card: fc.constantFrom('c1', 'c2', 'kärtchen'),
  amount: fc.oneof(fc.constant(null), fc.constant(-0), fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e6, max: 1e6 }), fc.integer()),
  ok: fc.oneof(fc.constant(null), fc.boolean()),
  at: fc.integer({ min: 0, max: 50 }),
  merchant: fc.oneof(fc.constant(null), fc.constantFrom('M1', 'M2', 'M3', 'm€', '')),
});

describe('AggregateSet over row views', () => {
  it('in place (row set) = the same records as plain objects, with 1 or 3 adds per record (property)', () => {
    const inPlace = new AggregateSet(specs, layout);
    const plain = new AggregateSet(specs, layout);
    const sab = new SharedArrayBuffer(1 << 12);
    const u8 = new Uint8Array(sab);
    const view = new RowView(layout);
    fc.assert(fc.property(fc.array(row, { maxLength: 60 }), fc.constantFrom(1, 3), (rows, windows) => {
      const a = Array.from({ length: windows }, () => inPlace.init());
      const b = Array.from({ length: windows }, () => plain.init());
      for (const r of rows) {
        writeRow(u8, 64, layout, r.card, r);
        view.at(u8, new Int32Array(sab), new Float64Array(sab), 64);
        inPlace.record = view.record;
        inPlace.row = view;
        inPlace.io[0] = r.at;
        inPlace.prepare?.();
        for (const acc of a) inPlace.add(acc, 0);
        plain.record = view.toObject();
        plain.row = null;
        plain.io[0] = r.at;
        plain.prepare?.();
        for (const acc of b) plain.add(acc, 0);
      }
      for (let w = 0; w < windows; w++) {
        const got = inPlace.result(a[w]!);
        const want = plain.result(b[w]!);
        expect(got).toEqual(want);
        // toEqual treats -0 and 0 alike; the sign must survive too.
        for (const k of Object.keys(want)) if (typeof want[k] === 'number') expect(Object.is(got[k], want[k]), k).toBe(true);
      }
    }), { numRuns: 200 });
  });
});
