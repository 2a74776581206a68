// Reading a topic from its start up to the end offsets it had when the read
// began, in a consumer group of its own: a fresh id each read, so it starts at
// the beginning whatever ran before, and it commits nothing. The changelog
// reader (changelog/changelog-reader.ts) stops there; a lookup table's feed
// (table-feed.ts) is loaded there and reads on. Which end offsets (high
// watermark or last stable offset), what counts as a fetched batch's last
// offset, and how long to wait are the caller's.
import { randomUUID } from 'node:crypto';
import type { Batch, Consumer } from './kafka-client.js';

/** Each partition's end when a read began, how far the read got, and whether it has reached every end. */
export class ReadToEnd {
  private readonly at = new Map<number, { next: number; end: number }>();
  private readonly open = new Set<number>();
  private settle!: (e?: unknown) => void;
  /** Resolves once every partition is read to its end; rejects with fail()'s error first. */
  readonly done: Promise<void>;

  /** `offsets`: each partition to read, from its log start (`low`) to its end (`high`, the offset after its last record). */
  constructor(offsets: Iterable<{ partition: number; low: string; high: string }>) {
    this.done = new Promise<void>((res, rej) => { this.settle = (e) => (e === undefined ? res() : rej(e)); });
    this.done.catch(() => {}); // a failure before the caller awaits is seen when it does
    for (const o of offsets) {
      const next = Number(o.low);
      const end = Number(o.high);
      this.at.set(o.partition, { next, end });
      if (next < end) this.open.add(o.partition);
    }
    if (this.open.size === 0) this.settle();
  }

  /** The partitions not read to their end yet. */
  get pending(): ReadonlySet<number> {
    return this.open;
  }

  /** The offset after the last one read of `partition`. */
  next(partition: number): number {
    return this.at.get(partition)!.next;
  }

  /** The offset `partition` ended at when the read began. */
  end(partition: number): number {
    return this.at.get(partition)!.end;
  }

  /** A fetched batch of `partition` ended at `lastOffset`: true when that took the partition to its end (once). */
  batchEnded(partition: number, lastOffset: number): boolean {
    const a = this.at.get(partition);
    if (!a || !this.open.has(partition)) return false;
    a.next = Math.max(a.next, lastOffset + 1);
    if (a.next < a.end) return false;
    this.open.delete(partition);
    if (this.open.size === 0) this.settle();
    return true;
  }

  fail(e: unknown): void {
    this.settle(e);
  }
}

/** `prefix`-UUID: a group no earlier read used. */
export function throwawayGroupId(prefix: string): string {
  return `${prefix}-${randomUUID()}`;
}

/** Connect `consumer`, subscribe it to `topic` from the beginning, and run `eachBatch` on what it fetches, committing nothing. */
export async function readFromStart(consumer: Consumer, topic: string, eachBatch: (batch: Batch) => void): Promise<void> {
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({ autoCommit: false, eachBatch: async ({ batch }) => eachBatch(batch) });
}
