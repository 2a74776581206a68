// Reading a topic from its start up to the end offsets it had when the read
// began, in a consumer group of its own: a fresh id each read, so it starts at
// the beginning whatever ran before, and it commits nothing. The changelog
// reader (changelog/changelog-reader.ts) stops there; a lookup table's feed
// (table-feed.ts) is loaded there and reads on. How far a read got is taken
// from the offsets of the fetched batches, commit/abort markers and aborted
// records included (kafkajs's END_BATCH_PROCESS event, which it also emits
// for a batch of only those, a batch it never passes to eachBatch), never
// from counting messages: the last records of a transactional partition are
// markers. Which end offsets (high watermark or last stable offset) and how
// long to wait are the caller's; consumeToEnd is the whole read for a caller
// that stops at the end (the changelog reader, the job's field sampler).
import { randomUUID } from 'node:crypto';
import {
  createAdmin, createConsumer, fetchHighWatermarks, retryTransient, type Batch, type Consumer, type createKafka,
} from './kafka-client.js';

/** Attempts at a read of end offsets that fails transiently (a topic just created has no leader for a moment). */
export const OFFSET_ATTEMPTS = 20;

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

/**
 * Connect `consumer`, subscribe it to `topic` from the beginning, and run
 * `eachBatch` on the messages it fetches, committing nothing; `batchEnded`
 * after each fetched batch (after its eachBatch, if it had messages) with the
 * last offset it covered, markers and aborted records included.
 */
export async function readFromStart(consumer: Consumer, topic: string, eachBatch: (batch: Batch) => void,
  batchEnded: (partition: number, lastOffset: number) => void): Promise<void> {
  consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
    // firstOffset null: nothing at or after the fetched offset (lastOffset then says nothing of the position).
    if (payload.firstOffset !== null) batchEnded(payload.partition, Number(payload.lastOffset));
  });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({ autoCommit: false, eachBatch: async ({ batch }) => eachBatch(batch) });
}

/**
 * Each partition of `topic` from its log start (`low`) to its high
 * watermark (`high`, records of open transactions counted: a read to it
 * waits for them to settle), or undefined when the topic does not exist.
 * Existence is asked first: offsets of a missing topic come back as a
 * protocol error kafkajs logs as an ERROR.
 */
export async function highWatermarksIfExists(kafka: ReturnType<typeof createKafka>, topic: string):
Promise<{ partition: number; high: string; low: string }[] | undefined> {
  const admin = createAdmin(kafka);
  try {
    await admin.connect();
    if (!(await admin.listTopics()).includes(topic)) return undefined;
    return await retryTransient(() => fetchHighWatermarks(kafka, topic), OFFSET_ATTEMPTS);
  } finally {
    await admin.disconnect().catch(() => {});
  }
}

export interface ConsumeToEndOptions {
  /** The throwaway group's id starts with this. */
  groupPrefix: string;
  maxBytesPerPartition?: number;
  /** How long the read may take; then it fails with timedOut()'s error. */
  timeoutMs: number;
  timedOut: () => Error;
  /** A fetched batch's messages; `pause` stops fetching a partition (one the caller does not read). */
  eachBatch: (batch: Batch, pause: (partition: number) => void) => void;
  /** After a batch of a partition still being read: `reached` when it took the partition to its end. */
  batchEnded?: (partition: number, reached: boolean) => void;
}

/**
 * Read `topic` from its start in a throwaway consumer group until `ends` is
 * done: every partition read to its end (each is paused there), or
 * ends.fail() called — by the caller, a consumer crash or the timeout, whose
 * error it rethrows. The consumer is stopped and its group deleted either way.
 */
export async function consumeToEnd(kafka: ReturnType<typeof createKafka>, topic: string, ends: ReadToEnd, o: ConsumeToEndOptions): Promise<void> {
  const groupId = throwawayGroupId(o.groupPrefix);
  const consumer = createConsumer(kafka, { groupId, ...(o.maxBytesPerPartition !== undefined ? { maxBytesPerPartition: o.maxBytesPerPartition } : {}) });
  const pause = (partition: number): void => { consumer.pause([{ topic, partitions: [partition] }]); };
  consumer.on(consumer.events.CRASH, ({ payload }) => { if (!payload.restart) ends.fail(payload.error ?? new Error(`reading ${topic} failed`)); });
  const timer = setTimeout(() => ends.fail(o.timedOut()), Math.max(0, o.timeoutMs));
  try {
    await readFromStart(consumer, topic, (batch) => o.eachBatch(batch, pause), (partition, lastOffset) => {
      if (!ends.pending.has(partition)) return;
      const reached = ends.batchEnded(partition, lastOffset);
      o.batchEnded?.(partition, reached);
      if (reached) pause(partition);
    });
    await ends.done;
  } finally {
    clearTimeout(timer);
    await stopAndForget(kafka, consumer, groupId);
  }
}

/** Disconnect `consumer`, and delete its throwaway group (it committed nothing; left behind, it would expire anyway). */
export async function stopAndForget(kafka: ReturnType<typeof createKafka>, consumer: Consumer, groupId: string): Promise<void> {
  await consumer.disconnect().catch(() => {});
  const admin = createAdmin(kafka);
  try {
    await admin.connect();
    await admin.deleteGroups([groupId]);
  } catch {
    // Best effort: an empty group without offsets is removed by the broker after its retention.
  } finally {
    await admin.disconnect().catch(() => {});
  }
}
