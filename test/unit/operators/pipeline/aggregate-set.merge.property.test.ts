import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { AggregateSet } from '../../../../dist/src/operators/pipeline/aggregate-set.js';
import {
  aggregate, approxCountDistinct, avg, count, countDistinct, first, last, max, min, percentile, stddev, sum, topN, variance,
} from '../../../../dist/src/job/aggregates.js';
import { accOf, type Timed } from './feed.js';

interface Rec { x: number | null | string; s: string | null }

const specs = {
  n: count(), total: sum('x'), lo: min('x'), hi: max('x'), mean: avg('x'), f: first('s'), l: last('s'), fx: first('x'), lx: last('x'),
  d: countDistinct('s'), dx: countDistinct('x'), ad: approxCountDistinct('s', 8), p50: percentile('x', 0.5), p9: percentile('x', 0.9),
  top: topN('s', 3), topx: topN('x', 2),
  times: aggregate<Rec, number[], number[]>({
    init: () => [], add: (a, _r, t) => { a.push(t); return a; }, merge: (a, b) => [...a, ...b], result: (a) => [...a].sort((p, q) => p - q),
  }),
  v: variance('x'), sd: stddev('x'),
};

const rec = fc.record({
  x: fc.oneof(fc.integer({ min: -1000, max: 1000 }), fc.constant(null), fc.constantFrom('1', 'x')),
  s: fc.oneof(fc.constantFrom('a', 'b', 'c', 'dd', 'é', ''), fc.constant(null)),
});
/** Records with times that repeat (ties), in the order given. */
const timed = fc.array(fc.record({ t: fc.integer({ min: 0, max: 20 }), r: rec }), { maxLength: 200 });

function expectSameResults(got: Record<string, unknown>, want: Record<string, unknown>): void {
  const { v: gv, sd: gsd, ...gExact } = got;
  const { v: wv, sd: wsd, ...wExact } = want;
  expect(gExact).toEqual(wExact);
  for (const [g, w] of [[gv, wv], [gsd, wsd]] as [number | null, number | null][]) {
    if (w === null) expect(g).toBeNull();
    else expect(Math.abs(g! - w)).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(w)));
  }
}

describe('AggregateSet.merge', () => {
  it('a prefix and the rest, merged, give the one-accumulator result (ties in time included) (property)', () => {
    const set = new AggregateSet(specs);
    fc.assert(fc.property(timed, fc.nat(), (recs: Timed[], cut) => {
      const k = recs.length === 0 ? 0 : cut % (recs.length + 1);
      const merged = set.merge(accOf(set, recs.slice(0, k)), accOf(set, recs.slice(k)));
      expectSameResults(set.result(merged), set.result(accOf(set, recs)));
    }), { numRuns: 200 });
  });

  it('any split into two accumulators, merged either way round, gives the one-accumulator result (distinct times) (property)', () => {
    const set = new AggregateSet(specs);
    const distinct = fc.array(fc.tuple(rec, fc.boolean()), { maxLength: 200 })
      .chain((rs) => fc.shuffledSubarray(rs.map((_, i) => i), { minLength: rs.length, maxLength: rs.length })
        .map((times) => rs.map(([r, side], i) => ({ t: times[i]! * 3 + 1, r, side }))));
    fc.assert(fc.property(distinct, (recs) => {
      const want = set.result(accOf(set, recs));
      const a = recs.filter((x) => x.side);
      const b = recs.filter((x) => !x.side);
      expectSameResults(set.result(set.merge(accOf(set, a), accOf(set, b))), want);
      expectSameResults(set.result(set.merge(accOf(set, b), accOf(set, a))), want);
    }), { numRuns: 200 });
  });

  it('percentile stays within 1% of the true quantile by rank after merging (property)', () => {
    const value = fc.double({ min: -1e9, max: 1e9, noNaN: true }).filter((x) => x === 0 || Math.abs(x) > 1e-300);
    fc.assert(fc.property(fc.array(value, { minLength: 1, maxLength: 500 }), fc.double({ min: 0, max: 1, noNaN: true }), fc.nat(),
      (xs, q, cut) => {
        const set = new AggregateSet({ p: percentile('x', q) });
        const recs = xs.map((x, t) => ({ t, r: { x } }));
        const k = cut % (recs.length + 1);
        const got = set.result(set.merge(accOf(set, recs.slice(0, k)), accOf(set, recs.slice(k)))).p as number;
        const want = [...xs].sort((p, r) => p - r)[Math.floor(q * (xs.length - 1))]!;
        expect(Math.abs(got - want)).toBeLessThanOrEqual(Math.abs(want) * 0.01);
      }), { numRuns: 300 });
  });

  for (const distinct of [1000, 100_000]) {
    it(`approxCountDistinct of ${distinct} distinct values, split and merged, is within 3 standard errors (property)`, () => {
      const p = 12;
      const se = 1.04 / Math.sqrt(2 ** p);
      fc.assert(fc.property(fc.string({ maxLength: 6 }), fc.boolean(), fc.integer({ min: 2, max: 5 }), (prefix, numbers, repeat) => {
        const set = new AggregateSet({ ad: approxCountDistinct('v', p), n: count() });
        const a = set.init();
        const b = set.init();
        // Each value added `repeat` times, spread over both accumulators; half the values in both.
        for (let i = 0; i < distinct; i++) {
          set.record = { v: numbers ? i * 1.5 + 0.1 : `${prefix}:${i}` };
          set.prepare?.();
          for (let j = 0; j < repeat; j++) set.add((i + j) % 2 === 0 ? a : b, 0);
        }
        const got = set.result(set.merge(a, b)).ad as number;
        expect(Math.abs(got - distinct)).toBeLessThanOrEqual(3 * se * distinct);
      }), { numRuns: distinct > 10_000 ? 4 : 30 });
    });
  }
});
