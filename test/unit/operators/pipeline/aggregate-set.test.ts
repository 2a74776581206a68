import { describe, expect, it } from 'vitest';
import { AggregateSet } from '../../../../dist/src/operators/pipeline/aggregate-set.js';
import {
  aggregate, approxCountDistinct, avg, count, countDistinct, first, last, max, min, percentile, stddev, sum, topN, variance,
} from '../../../../dist/src/job/aggregates.js';
import { accOf, type Timed } from './feed.js';

interface Trade { sym: string | null; price: number | null | undefined | string; qty: number; side?: unknown }

const trades: Timed[] = [
  { t: 30, r: { sym: 'b', price: 10, qty: 2 } },
  { t: 10, r: { sym: 'a', price: 12.5, qty: 1 } },
  { t: 20, r: { sym: 'a', price: null, qty: 3 } },
  { t: 10, r: { sym: 'c', price: -4, qty: 5 } },
  { t: 30, r: { sym: null, price: 7, qty: 1 } },
  { t: 25, r: { sym: 'a', price: Number.NaN, qty: 2 } },
  { t: 5, r: { sym: 'b', price: undefined, qty: 4 } },
  { t: 40, r: { sym: 'b', price: 'oops', qty: 1 } },
];

const prices = (): number[] => trades.map((x) => (x.r as Trade).price).filter((p): p is number => typeof p === 'number' && !Number.isNaN(p));

describe('AggregateSet: each kind against a naive computation', () => {
  it('count, sum, min, max, avg, variance, stddev skip null/undefined/NaN/non-numbers; count counts every record', () => {
    const set = new AggregateSet({
      n: count(), total: sum('price'), lo: min('price'), hi: max('price'), mean: avg('price'),
      v: variance('price'), sd: stddev('price'), notional: sum((t: Trade) => (t.price as number) * t.qty),
    });
    const got = set.result(accOf(set, trades));
    const p = prices();
    const mean = p.reduce((a, b) => a + b, 0) / p.length;
    const v = p.reduce((a, b) => a + (b - mean) ** 2, 0) / p.length;
    const notional = trades.map((x) => x.r as Trade).map((t) => (t.price as number) * t.qty)
      .filter((x) => typeof x === 'number' && !Number.isNaN(x)).reduce((a, b) => a + b, 0);
    expect(Object.keys(got)).toEqual(['n', 'total', 'lo', 'hi', 'mean', 'v', 'sd', 'notional']);
    expect(got.n).toBe(trades.length);
    expect(got.total).toBe(p.reduce((a, b) => a + b, 0));
    expect(got.lo).toBe(Math.min(...p));
    expect(got.hi).toBe(Math.max(...p));
    expect(got.mean).toBeCloseTo(mean, 12);
    expect(got.v).toBeCloseTo(v, 10);
    expect(got.sd).toBeCloseTo(Math.sqrt(v), 10);
    expect(got.notional).toBe(notional);
  });

  it('an empty window: count 0, sum 0, the rest null (topN empty, distinct counts 0)', () => {
    const set = new AggregateSet({
      n: count(), s: sum('x'), lo: min('x'), hi: max('x'), a: avg('x'), v: variance('x'), sd: stddev('x'), f: first('x'), l: last('x'),
      d: countDistinct('x'), ad: approxCountDistinct('x'), p: percentile('x', 0.5), top: topN('x', 3),
    });
    expect(set.result(set.init())).toEqual({ n: 0, s: 0, lo: null, hi: null, a: null, v: null, sd: null, f: null, l: null, d: 0, ad: 0, p: null, top: [] });
    // Only nulls: the same, but count sees them.
    const nulls = set.result(accOf(set, [{ t: 1, r: { x: null } }, { t: 2, r: { x: undefined } }, { t: 3, r: {} }, { t: 4, r: { x: Number.NaN } }]));
    expect(nulls).toEqual({ n: 4, s: 0, lo: null, hi: null, a: null, v: null, sd: null, f: null, l: null, d: 0, ad: 0, p: null, top: [] });
  });

  it('first/last follow event time; ties: first keeps the earliest added, last the latest added', () => {
    const set = new AggregateSet({ f: first('sym'), l: last('sym'), fp: first('price'), lp: last('price') });
    const got = set.result(accOf(set, trades));
    const present = trades.filter((x) => (x.r as Trade).sym !== null);
    const minT = Math.min(...present.map((x) => x.t));
    const maxT = Math.max(...present.map((x) => x.t));
    expect(got.f).toBe((present.find((x) => x.t === minT)!.r as Trade).sym);
    expect(got.l).toBe((present.filter((x) => x.t === maxT).at(-1)!.r as Trade).sym);
    // price: nulls, NaN skipped; a string is a value for first/last.
    const pp = trades.filter((x) => { const p = (x.r as Trade).price; return p !== null && p !== undefined && !Number.isNaN(p); });
    expect(got.fp).toBe(12.5); // t=10 (added before the t=10 -4)
    expect(got.lp).toBe((pp.at(-1)!.r as Trade).price); // 'oops' at t=40
    expect(set.result(accOf(set, [{ t: 7, r: { sym: 'x' } }, { t: 7, r: { sym: 'y' } }, { t: 7, r: { sym: 'z' } }]))).toMatchObject({ f: 'x', l: 'z' });
  });

  it('countDistinct is exact and tells 1 from "1"; approxCountDistinct is close', () => {
    const set = new AggregateSet({ d: countDistinct('v'), ad: approxCountDistinct('v') });
    const vals: unknown[] = [1, '1', 1, 2, 'a', 'a', true, 'true', null, 2.5, -0, 0];
    const got = set.result(accOf(set, vals.map((v, t) => ({ t, r: { v } }))));
    expect(got.d).toBe(new Set(vals.filter((v) => v !== null)).size);
    expect(got.ad).toBe(got.d); // linear counting is exact for a handful of values in 4096 registers
  });

  it('percentile is within 1% of the value at rank floor(q*(n-1))', () => {
    const xs = Array.from({ length: 2000 }, (_, i) => ((i * 7919) % 2000) - 500 + 0.25);
    for (const q of [0, 0.01, 0.25, 0.5, 0.9, 0.99, 1]) {
      const set = new AggregateSet({ p: percentile('x', q) });
      const got = set.result(accOf(set, xs.map((x, t) => ({ t, r: { x } })))).p as number;
      const want = [...xs].sort((a, b) => a - b)[Math.floor(q * (xs.length - 1))]!;
      expect(Math.abs(got - want)).toBeLessThanOrEqual(Math.abs(want) * 0.01);
    }
  });

  it('topN: exact counts, most frequent first, ties by smaller value (numbers numerically, strings by code units)', () => {
    const vals: unknown[] = ['b', 'a', 10, 9, 10, 'b', 'a', 9, 'c', null, 'Z', 100, 100, 100];
    const set = new AggregateSet({ top: topN('v', 4), all: topN('v', 100) });
    const got = set.result(accOf(set, vals.map((v, t) => ({ t, r: { v } }))));
    const counts = new Map<unknown, number>();
    for (const v of vals) if (v !== null) counts.set(v, (counts.get(v) ?? 0) + 1);
    expect(got.top).toEqual([{ value: 100, count: 3 }, { value: 9, count: 2 }, { value: 10, count: 2 }, { value: 'a', count: 2 }]);
    expect((got.all as unknown[]).at(-2)).toEqual({ value: 'Z', count: 1 }); // 'Z' < 'c' by code unit
    // Naive order: count descending, then numbers ascending before strings ascending.
    const rank = (v: unknown): string => (typeof v === 'number' ? `0${String(v).padStart(10, '0')}` : `1${String(v)}`);
    const naive = [...counts].sort((a, b) => b[1] - a[1] || (rank(a[0]) < rank(b[0]) ? -1 : 1)).map(([value, c]) => ({ value, count: c }));
    expect(got.all).toEqual(naive);
    expect(got.top).toEqual(naive.slice(0, 4));
  });

  it('custom aggregates see whole records and event times; their errors propagate', () => {
    const spread = aggregate<Trade, { lo: number; hi: number; ts: number[] }, number>({
      init: () => ({ lo: Infinity, hi: -Infinity, ts: [] }),
      add: (a, r, t) => { a.lo = Math.min(a.lo, r.qty); a.hi = Math.max(a.hi, r.qty); a.ts.push(t); return a; },
      merge: (a, b) => ({ lo: Math.min(a.lo, b.lo), hi: Math.max(a.hi, b.hi), ts: [...a.ts, ...b.ts] }),
      result: (a) => a.hi - a.lo + a.ts.length * 1000,
    });
    const set = new AggregateSet({ spread });
    const qty = trades.map((x) => (x.r as Trade).qty);
    expect(set.result(accOf(set, trades)).spread).toBe(Math.max(...qty) - Math.min(...qty) + trades.length * 1000);
    const boom = new AggregateSet({ x: aggregate({ init: () => 0, add: () => { throw new RangeError('user bug'); }, merge: (a) => a, result: (a) => a }) });
    expect(() => accOf(boom, trades)).toThrow(RangeError);
  });

  it('field names that are not identifiers are read as such', () => {
    const set = new AggregateSet({ s: sum('price-usd'), q: sum("it's \"quoted\"\u2028") });
    const got = set.result(accOf(set, [{ t: 1, r: { 'price-usd': 2, "it's \"quoted\"\u2028": 5 } }, { t: 2, r: { 'price-usd': 3 } }]));
    expect(got).toEqual({ s: 5, q: 5 });
  });
});

describe('AggregateSet: spec validation', () => {
  const bad: [string, Record<string, unknown>][] = [
    ['percentile q > 1', { p: percentile('x', 1.5) }],
    ['percentile q NaN', { p: percentile('x', Number.NaN) }],
    ['topN n = 0', { t: topN('x', 0) }],
    ['topN n = 2.5', { t: topN('x', 2.5) }],
    ['precision 3', { a: approxCountDistinct('x', 3) }],
    ['precision 17', { a: approxCountDistinct('x', 17) }],
    ['unknown kind', { a: { kind: 'median', field: 'x' } }],
    ['no field', { a: { kind: 'sum' } }],
    ['custom without merge', { a: { kind: 'custom', custom: { init: () => 0, add: () => 0, result: () => 0 } } }],
  ];
  for (const [what, specs] of bad) {
    it(`rejects ${what} with ERR_INVALID_JOB`, () => {
      expect(() => new AggregateSet(specs as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_JOB' }));
    });
  }
  it('accepts the boundaries', () => {
    expect(() => new AggregateSet({ a: percentile('x', 0), b: percentile('x', 1), c: approxCountDistinct('x', 4), d: approxCountDistinct('x', 16), e: topN('x', 1) })).not.toThrow();
  });
});

describe('AggregateSet: expressions run in prepare(), once per record', () => {
  it('an expression runs once per record, however many windows take it; its values reach every window', () => {
    let calls = 0;
    const set = new AggregateSet({
      total: sum((t: Trade) => { calls++; return t.qty * 2; }),
      big: countDistinct((t: Trade) => { calls++; return t.qty > 2 ? 'big' : 'small'; }),
      tag: last((t: Trade) => { calls++; return t.sym; }),
    });
    const accs = [set.init(), set.init(), set.init()];
    for (const { t, r } of trades) {
      set.record = r;
      set.io[0] = t;
      set.prepare!();
      for (let w = 0; w < accs.length; w++) accs[w] = set.add(accs[w]!, 0);
    }
    expect(calls).toBe(3 * trades.length);
    const qty = trades.map((x) => (x.r as Trade).qty);
    for (const acc of accs) {
      expect(set.result(acc)).toEqual({ total: 2 * qty.reduce((a, b) => a + b, 0), big: 2, tag: 'b' });
    }
  });

  it('a throwing expression throws in prepare, before any window has taken the record', () => {
    const set = new AggregateSet({ n: count(), s: sum((t: Trade) => { if (t.qty === 3) throw new Error('no'); return t.qty; }) });
    const acc = set.init();
    for (const { t, r } of trades) {
      set.record = r;
      set.io[0] = t;
      if ((r as Trade).qty === 3) {
        expect(() => set.prepare!()).toThrow('no');
        continue;
      }
      set.prepare!();
      set.add(acc, 0);
    }
    expect(set.result(acc)).toEqual({ n: trades.length - 1, s: trades.map((x) => (x.r as Trade).qty).filter((q) => q !== 3).reduce((a, b) => a + b, 0) });
  });
});
