// recordMayEscape: which user functions may be handed the worker's reused
// view (they only read fields of the record, in their own body) and which
// must get a copy (anything else, however harmless it may look).
import { describe, expect, it } from 'vitest';
import { recordMayEscape } from '../../../../dist/src/operators/pipeline/record-escape.js';
import { loadJob } from '../../../../dist/src/engine/load-job.js';

type Fn = (...args: never[]) => unknown;
const keep: unknown[] = [];
const state = { set: (_v: unknown): void => undefined, get: (): number => 0 };

// Written as job modules write them: methods, arrows, function expressions; the analysis reads their source text.
const readsOnly: Record<string, Fn> = {
  'a method reading fields': ({ onRecord(t: { price: number; qty: number }, ctx: { emit(o: object): void }) {
    if (t.price > 1) ctx.emit({ p: t.price, q: t['qty'], n: t.price * t.qty });
  } }).onRecord as Fn,
  'an arrow reading a field': ((t: { a: number }) => t.a + 1) as Fn,
  'a function expression with optional chaining and a computed read': (function f(t: Record<string, number>, k: string) { return t?.a ?? t[k]; }) as Fn,
  'a destructured parameter, rest included': (({ a, ...rest }: Record<string, number>) => a! + Object.keys(rest).length) as Fn,
  'a destructuring read in the body': ((t: { a: number; b: number }) => { const { a, b: c } = t; return a + c; }) as Fn,
  'no parameter': (() => 1) as Fn,
  'a nested function not using the record': ((t: { a: number }, xs: number[]) => xs.filter((x) => x > 0).length + t.a) as Fn,
  'a default value': ((t: { a: number } = { a: 0 }) => t.a) as Fn,
  'the record\'s name as a property name or key': ((t: { a: number }) => ({ t: t.a, o: state, x: keep.length })) as Fn,
  'a field value stored': ((t: { a: number }) => state.set(t.a)) as Fn,
  'a field compared, negated, typeof-ed': ((t: { a: number }) => !t.a || typeof t.a === 'number' || t.a in state) as Fn,
  'the record spread into a new object': ((t: { a: number }) => ({ ...t, b: t.a * 2 })) as Fn,
};

const escapes: Record<string, Fn> = {
  'the record stored': ((t: object) => { keep.push(t); }) as Fn,
  'the record passed to state': ((t: object) => state.set(t)) as Fn,
  'the record returned': ((t: object) => t) as Fn,
  'the record bound to another name': ((t: object) => { const u = t; keep.push(u); }) as Fn,
  'the record array-destructured': ((t: Iterable<number>) => { const [a] = t; return a; }) as Fn,
  'the record spread into an array': ((t: Iterable<number>) => [...t]) as Fn,
  'the record wrapped in what is returned': ((t: object) => ({ inner: t })) as Fn,
  'arguments in a function without parameters': (function f() { // eslint-disable-next-line prefer-rest-params
    keep.push(arguments[0]); }) as Fn,
  'the record in a shorthand property': ((t: object) => state.set({ t })) as Fn,
  'a field written': ((t: { a: number }) => { t.a = 1; }) as Fn,
  'a field incremented': ((t: { a: number }) => { t.a++; }) as Fn,
  'a field deleted': ((t: { a?: number }) => { delete t.a; }) as Fn,
  'a method called on it (this = the record)': ((t: { f(): void }) => t.f()) as Fn,
  'a field as a destructuring target': ((t: { a: number }, xs: number[]) => { [t.a] = xs; }) as Fn,
  'a field as an object-pattern target': ((t: { a: number }, o: { x: number }) => { ({ x: t.a } = o); }) as Fn,
  'a field as a for-in target': ((t: { a: string }) => { for (t.a in state) break; }) as Fn,
  'a read inside a closure that may run later': ((t: { a: number }) => state.set(() => t.a)) as Fn,
  'the name shadowed': ((t: { a: number }) => { const f = (t: number): number => t; return f(t.a); }) as Fn,
  'arguments': (function f(_t: object) { // eslint-disable-next-line prefer-rest-params
    keep.push(arguments); }) as Fn,
  'an array pattern parameter': (([a]: number[]) => a) as Fn,
  'a rest parameter': ((...rs: object[]) => rs[0]) as Fn,
  'an async function': (async (t: { a: number }) => t.a) as Fn,
  'a generator': (function* g(t: { a: number }) { yield t.a; }) as Fn,
  'a bound function (no source)': ((t: { a: number }) => t.a).bind(null) as Fn,
  'a native function': Math.max as Fn,
};

describe('recordMayEscape', () => {
  for (const [what, fn] of Object.entries(readsOnly)) {
    it(`no: ${what}`, () => expect(recordMayEscape(fn)).toBe(false));
  }
  for (const [what, fn] of Object.entries(escapes)) {
    it(`yes: ${what}`, () => expect(recordMayEscape(fn)).toBe(true));
  }
  it('takes the record from the argument it is told (a custom aggregate\'s add(acc, record, time))', () => {
    const add = (acc: unknown[], r: { a: number }) => { acc.push(r.a); return acc; };
    expect(recordMayEscape(add as Fn, 1)).toBe(false);
    expect(recordMayEscape(((acc: unknown[], r: object) => { acc.push(r); return acc; }) as Fn, 1)).toBe(true);
    expect(recordMayEscape(((...xs: unknown[]) => xs.length) as Fn, 1)).toBe(true);
  });

  it('the example jobs\' functions that see records (transpiled from their .ts modules) only read fields: none costs a copy', async () => {
    for (const path of ['jobs/card-fraud.ts', 'jobs/market-bars.ts']) {
      const { plan } = await loadJob(path);
      const fns: Fn[] = [];
      for (const b of plan.branches) {
        for (const st of b.before) if (st.op === 'filter' || st.op === 'map') fns.push(st.fn as Fn);
        if (b.keyed?.kind === 'process') fns.push(b.keyed.fn.onRecord as Fn);
        if (b.keyed?.kind === 'window') for (const a of Object.values(b.keyed.aggs)) if (a.expr !== undefined) fns.push(a.expr as Fn);
      }
      expect(fns.length).toBeGreaterThan(1);
      expect(fns.filter((f) => recordMayEscape(f)).map(String)).toEqual([]);
    }
  });
});
