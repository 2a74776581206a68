// The exact distinct count of a sliding window whose sets are kept per pane
// (AggregateSet.panes): the size of the union of its own set and those of
// the key's later windows, counted at every firing. Not built in a scratch
// Set: clear() drops the table, so each count would grow one again from
// nothing, rehash after rehash. A Map from value to the number of the last
// count that saw it keeps its table: a value is new to this count when its
// stamp is not this count's. Memory is bounded: past MAX_SEEN values the map
// starts over (one regrowth), and nothing else is kept between counts.
import type { Acc } from './aggregate-add.js';

/** Values remembered across counts before the map starts over. */
const MAX_SEEN = 1 << 16;

export class PaneUnion {
  private readonly seen = new Map<unknown, number>();
  private stamp = 0;
  private size = 0;
  /** forEach's callback, made once: no iterator object per set and count. */
  private readonly visit = (v: unknown): void => {
    if (this.seen.get(v) !== this.stamp) {
      this.seen.set(v, this.stamp);
      this.size++;
    }
  };

  /** |own ∪ later[0].o[k] ∪ … ∪ later[n-1].o[k]| (Set semantics: SameValueZero, as Map keys). */
  count(own: Set<unknown>, later: readonly Acc[], n: number, k: number): number {
    if (this.seen.size > MAX_SEEN) this.seen.clear();
    this.stamp++;
    this.size = 0;
    own.forEach(this.visit);
    for (let i = 0; i < n; i++) (later[i]!.o[k] as Set<unknown>).forEach(this.visit);
    return this.size;
  }
}
