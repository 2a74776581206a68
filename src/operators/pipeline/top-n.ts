// Exact frequencies of a window's values for topN: a Map from value to count
// (memory grows with the distinct values, as for countDistinct).
import { compareValues, decodeValue, encodeValue, type SavedValue } from './value-codec.js';

export interface TopEntry { value: unknown; count: number }

/** The n most frequent, most frequent first; ties by the smaller value (compareValues). */
export function topNOf(counts: Map<unknown, number>, n: number): TopEntry[] {
  const all: TopEntry[] = [];
  for (const [value, count] of counts) all.push({ value, count });
  all.sort((a, b) => b.count - a.count || compareValues(a.value, b.value));
  if (all.length > n) all.length = n;
  return all;
}

/** Fold b's counts into a. */
export function mergeCounts(a: Map<unknown, number>, b: Map<unknown, number>): void {
  for (const [v, c] of b) a.set(v, (a.get(v) ?? 0) + c);
}

export function saveCounts(m: Map<unknown, number>): [SavedValue, number][] {
  const out: [SavedValue, number][] = [];
  for (const [v, c] of m) out.push([encodeValue(v), c]);
  return out;
}

export function loadCounts(saved: [SavedValue, number][]): Map<unknown, number> {
  const m = new Map<unknown, number>();
  for (const [v, c] of saved) m.set(decodeValue(v), c);
  return m;
}
