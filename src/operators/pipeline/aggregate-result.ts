// The values of an aggregate set's accumulator, generated once per set as
// one function: each value is a named store into the result being built
// (`out.n = f[0]`), so every window result of a job gets the same shape
// transitions and no per-slot switch, where a loop storing `out[key]` would
// make a keyed store per value. Keys reach the source only as JSON string
// literals; the values are AggregateSet.result's, in spec order.
//
// An exact distinct count kept per pane (AggregateSet.panes: a sliding
// window's set holds only its own pane's values) is the size of the union
// of its set and those of `later`, the key's windows starting within it
// (pane-union.ts).
import {
  K_APPROX, K_AVG, K_COUNT, K_CUSTOM, K_DISTINCT, K_FIRST, K_LAST, K_MAX, K_MIN, K_PERCENTILE, K_STDDEV, K_SUM, K_TOPN,
  K_VARIANCE, TAG_NONE, TAG_NUMBER, type AggSlot,
} from './aggregate-layout.js';
import type { Acc } from './aggregate-add.js';
import { hllEstimate } from './hyperloglog.js';
import { topNOf } from './top-n.js';
import { PaneUnion } from './pane-union.js';

function value(s: AggSlot, i: number): string {
  const f = s.f;
  const o = `o[${s.o}]`;
  switch (s.kind) {
    case K_COUNT: case K_SUM: return `f[${f}]`;
    case K_MIN: case K_MAX: return `f[${f}] > 0 ? f[${f + 1}] : null`;
    case K_AVG: return `f[${f}] > 0 ? f[${f + 1}] / f[${f}] : null`;
    case K_VARIANCE: return `f[${f}] > 0 ? f[${f + 2}] / f[${f}] : null`;
    case K_STDDEV: return `f[${f}] > 0 ? Math.sqrt(f[${f + 2}] / f[${f}]) : null`;
    case K_FIRST: case K_LAST: return `f[${f + 2}] === ${TAG_NONE} ? null : f[${f + 2}] === ${TAG_NUMBER} ? f[${f + 1}] : ${o}`;
    case K_DISTINCT: return `n === 0 ? ${o}.size : union.count(${o}, later, n, ${s.o})`;
    case K_APPROX: return `Math.round(hllEstimate(${o}))`;
    case K_PERCENTILE: return `${o}.quantile(${s.param})`;
    case K_TOPN: return `topNOf(${o}, ${s.param})`;
    case K_CUSTOM: return `x[${i}].result(${o})`;
    default: throw new Error(`aggregate kind ${s.kind} has no result`);
  }
}

/** Writes each value of acc into `out` and returns it; later[0..n): see PaneUnion (n = 0: acc holds its whole window). */
export type ResultStep = (acc: Acc, out: Record<string, unknown>, later: readonly Acc[], n: number) => Record<string, unknown>;

/** Compile the result step of `slots`. */
export function compileResult(slots: readonly AggSlot[]): ResultStep {
  const body = slots.map((s, i) => `  out[${JSON.stringify(s.key)}] = ${value(s, i)};`);
  const x = slots.map((s) => s.spec.custom);
  const source = `return function result(acc, out, later, n) {
  const f = acc.f;
  const o = acc.o;
${body.join('\n')}
  return out;
};`;
  const make = new Function('x', 'hllEstimate', 'topNOf', 'union', source) as
    (x: unknown[], h: typeof hllEstimate, t: typeof topNOf, u: PaneUnion) => ResultStep;
  return make(x, hllEstimate, topNOf, new PaneUnion());
}
