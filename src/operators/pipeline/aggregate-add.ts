// The per-record step of an aggregate set, generated once per set as one
// function. Generated rather than a loop over the specs because each field
// read then has its own site (`r.price`, a monomorphic named load) and each
// expression its own call site (which V8 can inline), and a number read
// stays an unboxed double on its way into acc.f: numeric aggregates
// allocate nothing per record. Field names reach the source only as
// identifiers or JSON string literals.
//
// Compiled against the job's row layout too: when the record is the
// worker's row view (src.row set), a number or time field is one f64 load
// from the ring (NaN is null, which every step already skips as the view's
// getter's null), not a getter call returning a boxed double; any other
// field is read once per record (prepare: a sliding window adds a record
// to each of its windows) into src.vals.
//
// An aggregate over an expression (`sum((t) => …)`) runs the expression once
// per record too, in prepare, whatever the record's form: a numeric
// aggregate's value goes to src.nums (a non-number as NaN, which its step
// skips as it skips a non-number), any other's to src.vals. So a record in
// six sliding windows calls the user's function once, not six times, and a
// throwing expression throws before any window has taken the record.
//
// An exact distinct count's value goes into acc only when `own` is not false:
// with AggregateSet.panes, only the window that starts at the record's pane
// keeps it (docs/ARCHITECTURE.md, "Panes").
import type { RowLayout } from '../../codec/row-layout.js';
import {
  K_APPROX, K_AVG, K_COUNT, K_CUSTOM, K_DISTINCT, K_FIRST, K_LAST, K_MAX, K_MIN, K_PERCENTILE, K_STDDEV, K_SUM, K_TOPN,
  K_VARIANCE, TAG_NONE, TAG_NUMBER, TAG_OBJECT, type AggSlot,
} from './aggregate-layout.js';
import { hashOut, hashValue } from './value-hash.js';
import { hllAdd } from './hyperloglog.js';

/** Where a row view's numbers are: f64[numIndex + slot] (src/codec/row-view.ts). */
export interface RowNumbers { readonly f64: Float64Array; readonly numIndex: number }

/**
 * What the generated function reads the record and its event time from;
 * `row` is the row view when `record` is its record (null otherwise).
 */
export interface RecordSource { record: unknown; readonly io: Float64Array; row: RowNumbers | null; readonly vals: unknown[]; readonly nums: Float64Array }

/** The compiled steps of an aggregate set. */
export interface CompiledAdd {
  /** Fold the current record into acc; `own` false: acc's window does not start at the record's pane (UserAggregate.panes). */
  readonly add: (acc: Acc, value?: number, own?: boolean) => Acc;
  /** Once per record, before its adds: its expressions' values (and with src.row set, its non-numeric fields) into src.nums and src.vals. */
  readonly prepare: (() => void) | undefined;
}

export interface Acc { readonly f: Float64Array; readonly o: unknown[] }

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** Per expression slot: where prepare() leaves its value, `E[j]` (src.nums) or `V[k]` (src.vals, after the prepared fields). */
type Evaluated = ReadonlyMap<number, string>;

function read(s: AggSlot, i: number, layout: RowLayout | undefined, prepared: readonly string[], evaluated: Evaluated): string {
  const field = s.spec.field;
  if (field === undefined) return evaluated.get(i)!;
  if (layout !== undefined) {
    const slot = numericSlot(layout, field);
    if (slot >= 0) return `F[n + ${slot}]`;
    const k = prepared.indexOf(field);
    if (k >= 0) return `V[${k}]`;
  }
  return get(field);
}

function get(field: string): string {
  return IDENTIFIER.test(field) ? `r.${field}` : `r[${JSON.stringify(field)}]`;
}

/** The numeric slot of a number or time field of the layout, else -1 (strings and booleans keep the getter). */
function numericSlot(layout: RowLayout, name: string): number {
  const i = layout.fields.findIndex((f) => f.name === name);
  if (i < 0) return -1;
  const t = layout.fields[i]!.type;
  return t === 'number' || t === 'time' ? layout.numSlot[i]! : -1;
}

const NUMBER = 'typeof v === "number" && v === v';
/** The kinds whose step takes numbers only (NUMBER): an expression's non-number may reach them as NaN. */
const NUMERIC_STEPS = new Set([K_SUM, K_MIN, K_MAX, K_AVG, K_VARIANCE, K_STDDEV, K_PERCENTILE]);
const PRESENT = 'v !== null && v !== undefined && v === v';

function step(s: AggSlot, i: number, layout: RowLayout | undefined, prepared: readonly string[], evaluated: Evaluated): string {
  const f = s.f;
  const o = s.o;
  const v = `v = ${read(s, i, layout, prepared, evaluated)};`;
  switch (s.kind) {
    case K_COUNT: return `f[${f}] += 1;`;
    case K_SUM: return `${v} if (${NUMBER}) f[${f}] += v;`;
    case K_MIN: return `${v} if (${NUMBER}) { f[${f}] += 1; if (v < f[${f + 1}]) f[${f + 1}] = v; }`;
    case K_MAX: return `${v} if (${NUMBER}) { f[${f}] += 1; if (v > f[${f + 1}]) f[${f + 1}] = v; }`;
    case K_AVG: return `${v} if (${NUMBER}) { f[${f}] += 1; f[${f + 1}] += v; }`;
    case K_VARIANCE: case K_STDDEV:
      return `${v} if (${NUMBER}) { const n = f[${f}] + 1; f[${f}] = n; const d = v - f[${f + 1}]; f[${f + 1}] += d / n; f[${f + 2}] += d * (v - f[${f + 1}]); }`;
    case K_FIRST: case K_LAST: {
      // first: a strictly earlier time replaces (ties keep the earliest added); last: a time as late or later does.
      const newer = s.kind === K_FIRST ? `t < f[${f}]` : `t >= f[${f}]`;
      return `${v} if (${PRESENT} && (f[${f + 2}] === ${TAG_NONE} || ${newer})) { f[${f}] = t; `
        + `if (typeof v === "number") { f[${f + 1}] = v; f[${f + 2}] = ${TAG_NUMBER}; o[${o}] = undefined; } `
        + `else { o[${o}] = v; f[${f + 2}] = ${TAG_OBJECT}; } }`;
    }
    // Per pane (AggregateSet.panes): only the window starting at the record's pane keeps the value.
    case K_DISTINCT: return `if (own !== false) { ${v} if (${PRESENT}) o[${o}].add(v); }`;
    case K_APPROX: return `${v} if (${PRESENT}) { hashValue(v); hllAdd(o[${o}], ${s.param}, hashOut[0], hashOut[1]); }`;
    case K_PERCENTILE: return `${v} if (${NUMBER}) o[${o}].add(v);`;
    case K_TOPN: return `${v} if (${PRESENT}) { const m = o[${o}]; m.set(v, (m.get(v) ?? 0) + 1); }`;
    case K_CUSTOM: return `o[${o}] = x${i}.add(o[${o}], r, t);`;
    default: throw new Error(`aggregate kind ${s.kind} has no step`);
  }
}

/**
 * Compile the add step of `slots`, reading the record and time from `src` at
 * each call (and, with `layout`, numbers straight from src.row when set).
 */
export function compileAdd(slots: readonly AggSlot[], src: RecordSource, layout?: RowLayout): CompiledAdd {
  // The user's functions each generated function calls: custom aggregates' in add, expressions in prepare.
  const customs: string[] = [];
  const expressions: string[] = [];
  const body: string[] = [];
  const rowBody: string[] = [];
  // The fields read through the view's getters (strings, booleans), each once per record.
  const prepared: string[] = [];
  if (layout !== undefined) {
    for (const s of slots) {
      const field = s.spec.field;
      if (s.kind !== K_COUNT && s.kind !== K_CUSTOM && field !== undefined && numericSlot(layout, field) < 0 && !prepared.includes(field)) prepared.push(field);
    }
  }
  // The expressions, each run once per record by prepare().
  const evaluated = new Map<number, string>();
  const evaluate: string[] = [];
  let nums = 0;
  slots.forEach((s, i) => {
    if (s.kind === K_COUNT || s.kind === K_CUSTOM || s.spec.field !== undefined) return;
    expressions.push(`const x${i} = x[${i}];`);
    if (NUMERIC_STEPS.has(s.kind)) {
      evaluated.set(i, `E[${nums}]`);
      evaluate.push(`  v = x${i}(r); E[${nums++}] = typeof v === "number" ? v : NaN;`);
    } else {
      const k = prepared.length + evaluate.length - nums;
      evaluated.set(i, `V[${k}]`);
      evaluate.push(`  V[${k}] = x${i}(r);`);
    }
  });
  slots.forEach((s, i) => {
    if (s.kind === K_CUSTOM) customs.push(`const x${i} = x[${i}];`);
    body.push(`    ${step(s, i, undefined, prepared, evaluated)}`);
    rowBody.push(`    ${step(s, i, layout, prepared, evaluated)}`);
  });
  const x = slots.map((s) => (s.kind === K_CUSTOM ? s.spec.custom : s.spec.expr));
  const source = `${customs.join('\n')}
return function add(acc, value, own) {
  const r = src.record;
  const t = src.io[0];
  const f = acc.f;
  const o = acc.o;
  const w = src.row;
  const V = src.vals;
  const E = src.nums;
  let v;
  // Two copies of the steps, so a row read stays an unboxed double (a value that is either a load or a getter's result would be boxed).
  if (w !== null) {
    const F = w.f64;
    const n = w.numIndex;
${rowBody.join('\n')}
  } else {
${body.join('\n')}
  }
  return acc;
};`;
  const make = new Function('src', 'x', 'hashValue', 'hashOut', 'hllAdd', source) as
    (src: RecordSource, x: unknown[], h: typeof hashValue, out: Uint32Array, add: typeof hllAdd) => CompiledAdd['add'];
  const fields = prepared.map((p, k) => `    V[${k}] = ${get(p)};`);
  const prepare = prepared.length === 0 && evaluate.length === 0 ? undefined : new Function('src', 'x', `${expressions.join('\n')}
return function prepare() {
  const r = src.record;
  const V = src.vals;
  const E = src.nums;
  let v;
  if (src.row !== null) {
${fields.join('\n')}
  }
${evaluate.join('\n')}
};`)(src, x) as () => void;
  return { add: make(src, x, hashValue, hashOut, hllAdd), prepare };
}
