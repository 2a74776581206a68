// The aggregates of src/job/aggregates.ts, computed the obvious way: a window
// keeps every record it holds (with its event time and arrival number) and
// each aggregate is computed from that list when the window fires. Only
// `sum` (and `avg`, which divides it) and user aggregates keep a running
// value, because their result depends on the order of additions and merges:
// docs/SEMANTICS.md fixes that order (partition order; a session merge adds
// the absorbed windows' sums into the first's).
//
// Values: null, undefined and NaN are skipped by every aggregate but count;
// the numeric ones (sum, min, max, avg, variance, stddev, percentile) also
// skip anything that is not a number. approxCountDistinct is computed
// exactly (tests compare the engine's with a tolerance), percentile is the
// exact value of rank ⌊q·(n−1)⌋ (0-based, ascending), the rank the engine's
// sketch approximates (tests allow 1% relative error).
import type { AggSpec } from '../../src/job/aggregates.js';

/** A record in a window: as it reached the window, its event time and its arrival number in the partition. */
export interface RefEntry {
  readonly record: Record<string, unknown>;
  readonly ts: number;
  readonly seq: number;
}

/** A window's contents: the entries plus the order-dependent running values. */
export interface RefAcc {
  entries: RefEntry[];
  /** Per aggregate name: the running sum (sum, avg) or the user aggregate's accumulator. */
  running: Map<string, unknown>;
}

export function newAcc(aggs: Readonly<Record<string, AggSpec>>): RefAcc {
  const running = new Map<string, unknown>();
  for (const [name, a] of Object.entries(aggs)) {
    if (a.kind === 'sum' || a.kind === 'avg') running.set(name, 0);
    if (a.kind === 'custom') running.set(name, a.custom!.init());
  }
  return { entries: [], running };
}

function valueOf(a: AggSpec, record: Record<string, unknown>): unknown {
  if (a.expr !== undefined) return (a.expr as (r: unknown) => unknown)(record);
  return a.field === undefined ? undefined : record[a.field];
}

const present = (v: unknown): boolean => v !== null && v !== undefined && !Number.isNaN(v);
const numeric = (v: unknown): v is number => typeof v === 'number' && !Number.isNaN(v);

export function addToAcc(aggs: Readonly<Record<string, AggSpec>>, acc: RefAcc, e: RefEntry): void {
  acc.entries.push(e);
  for (const [name, a] of Object.entries(aggs)) {
    if (a.kind === 'sum' || a.kind === 'avg') {
      const v = valueOf(a, e.record);
      if (numeric(v)) acc.running.set(name, (acc.running.get(name) as number) + v);
    } else if (a.kind === 'custom') {
      const c = a.custom as unknown as { add(acc: unknown, r: unknown, t: number): unknown };
      acc.running.set(name, c.add(acc.running.get(name), e.record, e.ts));
    }
  }
}

/** Session merge: fold `other` into `into` (SEMANTICS.md "Windows"). */
export function mergeAcc(aggs: Readonly<Record<string, AggSpec>>, into: RefAcc, other: RefAcc): void {
  into.entries.push(...other.entries);
  for (const [name, a] of Object.entries(aggs)) {
    if (a.kind === 'sum' || a.kind === 'avg') {
      into.running.set(name, (into.running.get(name) as number) + (other.running.get(name) as number));
    } else if (a.kind === 'custom') {
      const c = a.custom as unknown as { merge(x: unknown, y: unknown): unknown };
      into.running.set(name, c.merge(into.running.get(name), other.running.get(name)));
    }
  }
}

/** The q-quantile of ascending values: the value of 0-based rank ⌊q·(n−1)⌋. */
export function quantileOf(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.floor(q * (sorted.length - 1))))]!;
}

/** topN's tie order: numbers (numerically) before strings (by UTF-16 code units) before anything else (by its string form). */
function compareValues(a: unknown, b: unknown): number {
  const rank = (v: unknown): number => (typeof v === 'number' ? 0 : typeof v === 'string' ? 1 : 2);
  if (rank(a) !== rank(b)) return rank(a) - rank(b);
  if (typeof a === 'number') return a - (b as number);
  const sa = String(a);
  const sb = String(b);
  return sa < sb ? -1 : sa > sb ? 1 : 0;
}

/** The aggregates' values for a window, in the order they were requested. */
export function results(aggs: Readonly<Record<string, AggSpec>>, acc: RefAcc): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, a] of Object.entries(aggs)) out[name] = resultOf(name, a, acc);
  return out;
}

function resultOf(name: string, a: AggSpec, acc: RefAcc): unknown {
  const all = acc.entries.map((e) => ({ e, v: a.kind === 'count' || a.kind === 'custom' ? undefined : valueOf(a, e.record) }));
  const nums = all.map((x) => x.v).filter(numeric);
  const vals = all.filter((x) => present(x.v));
  switch (a.kind) {
    case 'count': return acc.entries.length;
    case 'sum': return acc.running.get(name);
    case 'avg': return nums.length === 0 ? null : (acc.running.get(name) as number) / nums.length;
    case 'min': return nums.length === 0 ? null : Math.min(...nums);
    case 'max': return nums.length === 0 ? null : Math.max(...nums);
    case 'variance':
    case 'stddev': {
      if (nums.length === 0) return null;
      const mean = nums.reduce((s, v) => s + v, 0) / nums.length;
      const variance = nums.reduce((s, v) => s + (v - mean) * (v - mean), 0) / nums.length;
      return a.kind === 'variance' ? variance : Math.sqrt(variance);
    }
    case 'percentile': return nums.length === 0 ? null : quantileOf([...nums].sort((x, y) => x - y), a.param!);
    case 'first':
    case 'last': {
      if (vals.length === 0) return null;
      // first: smallest time, then earliest arrival; last: largest time, then latest arrival.
      const sign = a.kind === 'first' ? 1 : -1;
      vals.sort((x, y) => sign * (x.e.ts - y.e.ts || x.e.seq - y.e.seq));
      return vals[0]!.v;
    }
    case 'countDistinct':
    case 'approxCountDistinct': return new Set(vals.map((x) => x.v)).size;
    case 'topN': {
      const counts = new Map<unknown, number>();
      for (const x of vals) counts.set(x.v, (counts.get(x.v) ?? 0) + 1);
      return [...counts].map(([value, count]) => ({ value, count }))
        .sort((x, y) => y.count - x.count || compareValues(x.value, y.value))
        .slice(0, a.param!);
    }
    case 'custom': return (a.custom as unknown as { result(acc: unknown): unknown }).result(acc.running.get(name));
  }
}
