import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { AggregateSet, type Acc } from '../../../../dist/src/operators/pipeline/aggregate-set.js';
import {
  aggregate, approxCountDistinct, avg, count, countDistinct, first, last, max, min, percentile, stddev, sum, topN, variance,
} from '../../../../dist/src/job/aggregates.js';
import { accOf, feed, type Timed } from './feed.js';

const specs = {
  n: count(), total: sum('x'), lo: min('x'), hi: max('x'), mean: avg('x'), v: variance('x'), sd: stddev('x'),
  f: first('s'), l: last('s'), fx: first('x'), lx: last('x'), d: countDistinct('s'), ad: approxCountDistinct('s'),
  p: percentile('x', 0.75), top: topN('s', 4),
  mine: aggregate<{ x: unknown }, { n: number }, number>({ init: () => ({ n: 0 }), add: (a) => { a.n++; return a; }, merge: (a, b) => ({ n: a.n + b.n }), result: (a) => a.n }),
};

// Values JSON cannot carry as such: infinities, -0, bigints, objects; strings that look like the wrappers.
const value = fc.oneof(
  fc.double({ noNaN: false }), fc.integer(), fc.string({ maxLength: 4 }), fc.boolean(), fc.constant(null), fc.constant(undefined),
  fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }), fc.constantFrom('{"num":"Infinity"}', 'Infinity'),
);
const timed = fc.array(fc.record({ t: fc.integer({ min: 0, max: 30 }), r: fc.record({ x: value, s: value }) }), { maxLength: 120 });

function roundTrip(set: AggregateSet, acc: Acc): Acc {
  return set.load(JSON.parse(JSON.stringify(set.save(acc))));
}

describe('AggregateSet save/load', () => {
  it('save → JSON → load gives the same results, and later adds and merges work on the loaded accumulator (property)', () => {
    const set = new AggregateSet(specs);
    fc.assert(fc.property(timed, timed, (before: Timed[], after: Timed[]) => {
      const acc = accOf(set, before);
      const loaded = roundTrip(set, acc);
      expect(set.result(loaded)).toEqual(set.result(acc));
      expect(set.save(loaded)).toEqual(set.save(acc));
      expect(set.result(feed(set, loaded, after))).toEqual(set.result(feed(set, acc, after)));
      const other = accOf(set, after);
      expect(set.result(set.merge(roundTrip(set, acc), other))).toEqual(set.result(set.merge(acc, accOf(set, after))));
    }), { numRuns: 150 });
  });

  it('keeps value types: bigint, -Infinity, booleans and strings that look like numbers', () => {
    const set = new AggregateSet({ d: countDistinct('v'), top: topN('v', 10), f: first('v'), l: last('v'), lo: min('n') });
    const vals: unknown[] = [5n, -Infinity, '-Infinity', true, 'true', 1, '1'];
    const acc = accOf(set, vals.map((v, t) => ({ t, r: { v, n: v } })));
    const loaded = roundTrip(set, acc);
    expect(set.result(loaded)).toEqual({ d: 7, top: set.result(acc).top, f: 5n, l: '1', lo: -Infinity });
    expect((set.result(loaded).top as { value: unknown }[]).map((e) => e.value)).toEqual(expect.arrayContaining(vals));
  });

  it('an accumulator saved by a different aggregate set is ERR_CHECKPOINT_CORRUPT', () => {
    const a = new AggregateSet({ n: count(), s: sum('x') });
    const b = new AggregateSet({ n: count(), d: countDistinct('x') });
    const saved = JSON.parse(JSON.stringify(a.save(accOf(a, [{ t: 1, r: { x: 1 } }]))));
    expect(() => b.load(saved)).toThrow(expect.objectContaining({ code: 'ERR_CHECKPOINT_CORRUPT' }));
    expect(() => a.load(null)).toThrow(expect.objectContaining({ code: 'ERR_CHECKPOINT_CORRUPT' }));
    // Same layout, other HyperLogLog precision: the registers do not fit.
    const p8 = new AggregateSet({ d: approxCountDistinct('x', 8) });
    const p10 = new AggregateSet({ d: approxCountDistinct('x', 10) });
    expect(() => p10.load(JSON.parse(JSON.stringify(p8.save(p8.init()))))).toThrow(expect.objectContaining({ code: 'ERR_CHECKPOINT_CORRUPT' }));
  });
});
