// Where each aggregate of a set keeps its state in a window accumulator:
// numbers in one Float64Array (acc.f, from `f` on), objects (sets, maps,
// sketches, registers, user accumulators, non-numeric first/last values) in
// acc.o[o]. Specs are checked here, once, when a job's window stage is built.
import type { AggKind, AggSpec } from '../../job/aggregates.js';
import { SabreError } from '../../errors.js';
import { HLL_DEFAULT_PRECISION, HLL_MAX_PRECISION, HLL_MIN_PRECISION } from './hyperloglog.js';

export const K_COUNT = 0, K_SUM = 1, K_MIN = 2, K_MAX = 3, K_AVG = 4, K_FIRST = 5, K_LAST = 6, K_DISTINCT = 7,
  K_APPROX = 8, K_VARIANCE = 9, K_STDDEV = 10, K_PERCENTILE = 11, K_TOPN = 12, K_CUSTOM = 13;

const KINDS: Record<AggKind, number> = {
  count: K_COUNT, sum: K_SUM, min: K_MIN, max: K_MAX, avg: K_AVG, first: K_FIRST, last: K_LAST,
  countDistinct: K_DISTINCT, approxCountDistinct: K_APPROX, variance: K_VARIANCE, stddev: K_STDDEV,
  percentile: K_PERCENTILE, topN: K_TOPN, custom: K_CUSTOM,
};

/**
 * Numbers per kind in acc.f: count [n]; sum [s]; min/max [n, m]; avg [n, s];
 * variance/stddev [n, mean, m2] (Welford); first/last [time, number, tag]
 * with tag 0 = none yet, 1 = the number beside it, 2 = the object in acc.o.
 */
const F_SIZE = [1, 1, 2, 2, 2, 3, 3, 0, 0, 3, 3, 0, 0, 0];
const HAS_OBJECT = [false, false, false, false, false, true, true, true, true, false, false, true, true, true];

/** first/last tag values (the third number of their slot). */
export const TAG_NONE = 0, TAG_NUMBER = 1, TAG_OBJECT = 2;

export interface AggSlot {
  readonly key: string;
  readonly kind: number;
  readonly spec: AggSpec;
  /** Offset of the first number in acc.f, or -1. */
  readonly f: number;
  /** Index in acc.o, or -1. */
  readonly o: number;
  /** percentile: q; topN: n; approxCountDistinct: precision. */
  readonly param: number;
}

export interface AggLayout {
  readonly slots: readonly AggSlot[];
  /** acc.f of a new accumulator (copied by init). */
  readonly f0: Float64Array;
  readonly objects: number;
}

function invalid(key: string, why: string): never {
  throw new SabreError('ERR_INVALID_JOB', `aggregate "${key}": ${why}`);
}

function paramOf(key: string, kind: number, spec: AggSpec): number {
  if (kind === K_PERCENTILE) {
    const q = spec.param;
    if (typeof q !== 'number' || !(q >= 0 && q <= 1)) invalid(key, `percentile(field, q) needs q in [0, 1] (0.5 is the median), got ${String(q)}`);
    return q;
  }
  if (kind === K_TOPN) {
    const n = spec.param;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 1) invalid(key, `topN(field, n) needs n a positive integer, got ${String(n)}`);
    return n;
  }
  if (kind === K_APPROX) {
    const p = spec.precision ?? HLL_DEFAULT_PRECISION;
    if (typeof p !== 'number' || !Number.isInteger(p) || p < HLL_MIN_PRECISION || p > HLL_MAX_PRECISION) {
      invalid(key, `approxCountDistinct precision must be an integer from ${HLL_MIN_PRECISION} to ${HLL_MAX_PRECISION} `
        + `(registers = 2^precision; ${HLL_DEFAULT_PRECISION} gives about 1.6% error), got ${String(p)}`);
    }
    return p;
  }
  return 0;
}

function checkSource(key: string, kind: number, spec: AggSpec): void {
  if (kind === K_COUNT) return;
  if (kind === K_CUSTOM) {
    const c = spec.custom as Record<string, unknown> | undefined;
    for (const fn of ['init', 'add', 'merge', 'result']) {
      if (typeof c?.[fn] !== 'function') invalid(key, `aggregate({ init, add, merge, result }) needs a ${fn} function`);
    }
    return;
  }
  const hasField = typeof spec.field === 'string' && spec.field.length > 0;
  const hasExpr = typeof spec.expr === 'function';
  if (hasField === hasExpr) invalid(key, `${spec.kind} needs either a field name or an expression over the record (not ${hasField ? 'both' : 'neither'})`);
}

/** Check the specs and lay out their state. */
export function layoutAggregates(specs: Readonly<Record<string, AggSpec>>): AggLayout {
  if (typeof specs !== 'object' || specs === null) throw new SabreError('ERR_INVALID_JOB', '.aggregate() needs an object of { name: spec }');
  const slots: AggSlot[] = [];
  const init: number[] = [];
  let objects = 0;
  for (const key of Object.keys(specs)) {
    const spec = specs[key]!;
    const kind = typeof spec === 'object' && spec !== null && Object.hasOwn(KINDS, spec.kind) ? KINDS[spec.kind] : -1;
    if (kind < 0) {
      invalid(key, `unknown aggregate kind ${JSON.stringify((spec as AggSpec | null)?.kind)}: build specs with the functions of src/job/aggregates.ts (count(), sum('field'), ...)`);
    }
    checkSource(key, kind, spec);
    const param = paramOf(key, kind, spec);
    const f = F_SIZE[kind]! > 0 ? init.length : -1;
    for (let i = 0; i < F_SIZE[kind]!; i++) init.push(0);
    if (kind === K_MIN) init[f + 1] = Infinity;
    if (kind === K_MAX) init[f + 1] = -Infinity;
    const o = HAS_OBJECT[kind] ? objects++ : -1;
    slots.push({ key, kind, spec, f, o, param });
  }
  return { slots, f0: Float64Array.from(init), objects };
}
