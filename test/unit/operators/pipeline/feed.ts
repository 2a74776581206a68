// Test helper: add records to an AggregateSet accumulator the way the window stage does.
import type { Acc, AggregateSet } from '../../../../dist/src/operators/pipeline/aggregate-set.js';

export interface Timed { t: number; r: unknown }

export function feed(set: AggregateSet, acc: Acc, recs: readonly Timed[]): Acc {
  for (const { t, r } of recs) {
    set.record = r;
    set.io[0] = t;
    set.prepare?.();
    acc = set.add(acc, 0);
  }
  return acc;
}

export function accOf(set: AggregateSet, recs: readonly Timed[]): Acc {
  return feed(set, set.init(), recs);
}
