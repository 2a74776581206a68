/** What nextPartition() returns when it cannot choose yet: a partition still being read has nothing buffered. */
export const MERGE_BLOCKED = -1;
/** What nextPartition() returns once every partition is finished and drained. */
export const MERGE_DONE = -2;

/**
 * The k-way merge behind `--replay` (replay-source.ts): each Kafka partition's
 * records, in offset order, merged into one order that depends only on the
 * records. At each step the partition whose next record has the smallest
 * (message timestamp, partition) goes first — and a step is taken only when
 * every partition that is not finished has a record buffered, since the one
 * missing could be the smallest. So how records arrive (batch sizes, fetch
 * timing, pauses) never changes the order. A partition is finished once it
 * was read to the end of its range; an empty one finished from the start.
 *
 * Memory stays bounded by the caller: it stops reading a partition whose
 * buffer holds `high` records (full()) and reads it again once it drained
 * below `low` (wantsMore()). A linear scan over the partitions per record:
 * the partitions of one topic are few.
 */
export class ReplayMerge<M> {
  private readonly queues: M[][] = [];
  private readonly times: number[][] = [];
  private readonly heads: number[] = [];
  private readonly finished: boolean[] = [];
  /** Partitions not finished whose buffer is empty: while > 0, nothing can be chosen. */
  private starving: number;

  constructor(readonly partitions: number, readonly high = 8192, readonly low = 2048) {
    for (let p = 0; p < partitions; p++) {
      this.queues.push([]);
      this.times.push([]);
      this.heads.push(0);
      this.finished.push(false);
    }
    this.starving = partitions;
  }

  /** Partition p's next record (in offset order), with its message timestamp. */
  push(p: number, m: M, timestamp: number): void {
    if (this.finished[p]) throw new Error(`replay merge: partition ${p} is finished`);
    if (this.size(p) === 0) this.starving--;
    this.queues[p]!.push(m);
    this.times[p]!.push(timestamp);
  }

  /** Partition p has no more records in the range. */
  finish(p: number): void {
    if (this.finished[p]) return;
    this.finished[p] = true;
    if (this.size(p) === 0) this.starving--;
  }

  isFinished(p: number): boolean {
    return this.finished[p]!;
  }

  size(p: number): number {
    return this.queues[p]!.length - this.heads[p]!;
  }

  /** Stop reading p: its buffer is full. */
  full(p: number): boolean {
    return this.size(p) >= this.high;
  }

  /** Read p again: it is not finished and its buffer drained below `low`. */
  wantsMore(p: number): boolean {
    return !this.finished[p] && this.size(p) < this.low;
  }

  /** The partition whose record goes next, MERGE_BLOCKED or MERGE_DONE. */
  nextPartition(): number {
    if (this.starving > 0) return MERGE_BLOCKED;
    let best = MERGE_DONE;
    let bestTime = Infinity;
    for (let p = 0; p < this.partitions; p++) {
      const h = this.heads[p]!;
      const q = this.times[p]!;
      if (h >= q.length) continue; // finished and drained
      const t = q[h]!;
      // Ties go to the lower partition (scanned first): (timestamp, partition, offset).
      if (best === MERGE_DONE || t < bestTime) {
        best = p;
        bestTime = t;
      }
    }
    return best;
  }

  /** Take partition p's next record (after nextPartition() chose p). */
  take(p: number): M {
    const q = this.queues[p]!;
    const h = this.heads[p]!;
    const m = q[h]!;
    q[h] = undefined as M; // let it be collected before the array is compacted
    if (h + 1 === q.length) {
      q.length = 0;
      this.times[p]!.length = 0;
      this.heads[p] = 0;
      if (!this.finished[p]) this.starving++;
    } else if (h + 1 >= 1024 && (h + 1) * 2 >= q.length) {
      q.splice(0, h + 1);
      this.times[p]!.splice(0, h + 1);
      this.heads[p] = 0;
    } else this.heads[p] = h + 1;
    return m;
  }
}
