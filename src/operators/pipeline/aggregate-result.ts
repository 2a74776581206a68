// The values of an aggregate set's accumulator, generated once per set as
// one function: each value is a named store into the result being built
// (`out.n = f[0]`), so every window result of a job gets the same shape
// transitions and no per-slot switch, where a loop storing `out[key]` would
// make a keyed store per value. Keys reach the source only as JSON string
// literals; the values are AggregateSet.result's, in spec order.
import {
  K_APPROX, K_AVG, K_COUNT, K_CUSTOM, K_DISTINCT, K_FIRST, K_LAST, K_MAX, K_MIN, K_PERCENTILE, K_STDDEV, K_SUM, K_TOPN,
  K_VARIANCE, TAG_NONE, TAG_NUMBER, type AggSlot,
} from './aggregate-layout.js';
import type { Acc } from './aggregate-add.js';
import { hllEstimate } from './hyperloglog.js';
import { topNOf } from './top-n.js';

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
    case K_DISTINCT: return `${o}.size`;
    case K_APPROX: return `Math.round(hllEstimate(${o}))`;
    case K_PERCENTILE: return `${o}.quantile(${s.param})`;
    case K_TOPN: return `topNOf(${o}, ${s.param})`;
    case K_CUSTOM: return `x[${i}].result(${o})`;
    default: throw new Error(`aggregate kind ${s.kind} has no result`);
  }
}

/** Compile the result step of `slots`: writes each value into `out` and returns it. */
export function compileResult(slots: readonly AggSlot[]): (acc: Acc, out: Record<string, unknown>) => Record<string, unknown> {
  const body = slots.map((s, i) => `  out[${JSON.stringify(s.key)}] = ${value(s, i)};`);
  const x = slots.map((s) => s.spec.custom);
  const source = `return function result(acc, out) {
  const f = acc.f;
  const o = acc.o;
${body.join('\n')}
  return out;
};`;
  const make = new Function('x', 'hllEstimate', 'topNOf', source) as
    (x: unknown[], h: typeof hllEstimate, t: typeof topNOf) => (acc: Acc, out: Record<string, unknown>) => Record<string, unknown>;
  return make(x, hllEstimate, topNOf);
}
