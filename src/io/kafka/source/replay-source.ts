import { setImmediate as yieldToLoop, setTimeout as delay } from 'node:timers/promises';
import { SabreError } from '../../../errors.js';
import type { Source, SourceContext } from '../../sources/source.js';
import { INGEST_OK, type IngestPort } from '../../sources/ingest-port.js';
import { IO_TIME } from '../../../partition/partitioned-writer.js';
import { FRAME_HEADER_BYTES } from '../../../codec/frame.js';
import { wallNow } from '../../../time/wall-clock.js';
import { MessageReader } from './message-reader.js';
import { KAFKA_READS_WITH, errorText, RecordView, type Admin, type Consumer, type EachBatchPayload, type KafkaMessage } from '../kafka-client.js';
import { MERGE_BLOCKED, MERGE_DONE, ReplayMerge } from './replay-merge.js';
import type { PartitionRange } from './replay-range.js';

/** How long stop() gives the disconnect and the throwaway group's deletion before giving up on the broker. */
const CLOSE_TIMEOUT_MS = 10_000;
/** Merged records between yields to the event loop (kafkajs fetches, the pump drains). */
const YIELD_EVERY = 4096;

type Message = KafkaMessage | RecordView;

/**
 * `--source kafka:TOPIC --replay FROM..TO`: reads offsets [from, to) of every
 * partition (replay-range.ts) and ends, with output that depends only on
 * those records and the options — not on --partitions, --workers or timing.
 *
 * - Order: the partitions' records are merged by ReplayMerge (message
 *   timestamp, then partition, then offset; a record goes only when every
 *   partition still being read has one buffered) and written in that order.
 *   Partitions whose buffer is full are paused in the consumer.
 * - Watermark: one, global, driven by the merged stream: after each record
 *   whose event time (the job's, as written to the ring) raises the largest
 *   seen, largest − --out-of-orderness goes into every ring in-band, right
 *   behind that record (waiting for a full ring rather than skipping it). So
 *   every key's records meet the same watermarks in the same places whatever
 *   ring it lands in: the run equals a single-partition run of the merged
 *   stream (docs/SEMANTICS.md). No idle detection, no wall clock.
 * - Offsets: read with a throwaway consumer group that never commits and is
 *   deleted at the end; --group's committed offsets are never touched.
 * - End: once every partition was read to its TO offset and the merge
 *   drained, run() returns and the engine ends the run as after a finite
 *   file (END: every window fires).
 */
export class KafkaReplaySource implements Source {
  readonly name: string;
  records = 0;
  pauses = 0;
  pausedMs = 0;
  /** Messages in range read, watermarks written (one per rise, into every ring), partition pauses. */
  messages = 0;
  watermarks = 0;
  kafkaPauses = 0;
  readonly readsWith = KAFKA_READS_WITH;
  readonly closed: Promise<void>;

  private readonly merge: ReplayMerge<Message>;
  private readonly reader: MessageReader;
  private readonly range = new Map<number, PartitionRange>();
  /** Next offset to buffer, per partition. */
  private readonly next = new Map<number, number>();
  private readonly paused = new Set<number>();
  private ctx: SourceContext | undefined;
  private draining = false;
  private stopping = false;
  /** [0]: largest event time written; [1]: the watermark every ring has. */
  private readonly times = new Float64Array([-Infinity, -Infinity]);
  private resolveDone!: () => void;
  private readonly done = new Promise<void>((r) => { this.resolveDone = r; });
  private fatal: ((e: unknown) => void) | undefined;
  private resolveClosed!: () => void;

  constructor(readonly topic: string, private readonly throwawayGroup: string, private readonly consumer: Consumer,
    private readonly admin: Admin, private readonly port: IngestPort, format: 'json' | 'flatbuffers',
    fields: { time: string; value: string }, private readonly bound: number, ranges: readonly PartitionRange[]) {
    this.name = `kafka:${topic}`;
    this.reader = new MessageReader(port, format, fields);
    const partitions = ranges.reduce((n, r) => Math.max(n, r.partition + 1), 0);
    this.merge = new ReplayMerge<Message>(partitions);
    for (const r of ranges) {
      this.range.set(r.partition, r);
      this.next.set(r.partition, r.from);
    }
    // Nothing to read (an empty range, or a partition number the topic skips): finished from the start.
    for (let p = 0; p < partitions; p++) {
      const r = this.range.get(p);
      if (r === undefined || r.from >= r.to) this.merge.finish(p);
    }
    this.closed = new Promise((r) => { this.resolveClosed = r; });
    consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
      // Every assigned partition starts at its FROM (a throwaway group has no commits; this also covers a re-join).
      for (const p of payload.memberAssignment[topic] ?? []) {
        const r = this.range.get(p);
        if (r === undefined) continue;
        if (this.merge.isFinished(p)) this.pause(p);
        else this.consumer.seek({ topic, partition: p, offset: String(this.next.get(p)!) });
      }
    });
    // kafkajs resolves a batch of nothing but control records (a transaction's marker, aborted
    // records) without calling eachBatch: the range can end there, so count those offsets as read.
    consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
      if (payload.topic === topic && payload.batchSize === 0 && payload.lastOffset !== null) {
        this.advance(payload.partition, Number(payload.lastOffset) + 1);
      }
    });
    consumer.on(consumer.events.CRASH, ({ payload }) => { if (!payload.restart) this.fatal?.(payload.error); });
  }

  /** The watermark every ring has been sent (the pump's idle sweep re-sends it: a no-op). */
  watermark(): number {
    return this.times[1]!;
  }

  /** The per-partition [from, to) this replay reads. */
  ranges(): PartitionRange[] {
    return [...this.range.values()];
  }

  async run(ctx: SourceContext): Promise<void> {
    this.ctx = ctx;
    const failed = new Promise<never>((_, reject) => { this.fatal = reject; });
    failed.catch(() => {});
    try {
      if (this.merge.nextPartition() !== MERGE_DONE) {
        await Promise.race([this.consumer.run({
          autoCommit: false,
          eachBatchAutoResolve: false,
          partitionsConsumedConcurrently: 1,
          eachBatch: (p) => this.eachBatch(p),
        }), failed]);
        await Promise.race([this.done, failed]);
      }
    } catch (e) {
      if (e instanceof SabreError) throw e;
      throw new SabreError('ERR_SOURCE', `${this.name} (replay): ${errorText(e)}`, { cause: e });
    } finally {
      this.stopping = true;
      await this.close();
    }
  }

  stop(): void {
    if (this.stopping) return;
    this.stopping = true;
    this.resolveDone();
    // Stopped before run() (the engine failed to start): just let go of the broker.
    if (this.ctx === undefined) void this.close();
  }

  /** Buffer the batch's records in range (kafkajs re-reads from the last resolved offset, so resolve what was buffered). */
  private async eachBatch(p: EachBatchPayload): Promise<void> {
    if (this.stopping) return;
    const { batch } = p;
    const part = batch.partition;
    const r = this.range.get(part);
    if (r === undefined || this.merge.isFinished(part)) return;
    let next = this.next.get(part)!;
    let last: string | undefined;
    for (const m of batch.messages as Message[]) {
      const offset = m instanceof RecordView ? m.offsetNumber : Number(m.offset);
      if (offset < next) continue;
      if (offset >= r.to) break;
      this.merge.push(part, m, Number(m.timestamp));
      this.messages++;
      next = offset + 1;
      last = m.offset;
    }
    if (last !== undefined) p.resolveOffset(last);
    // Offsets past the last record (a transaction marker, a compacted record) count as read too.
    this.advance(part, batch.isEmpty() ? next : Math.max(next, Number(batch.lastOffset()) + 1));
  }

  /** Partition `part` is read up to `next` (excluded): finished at its TO, paused when its buffer is full. */
  private advance(part: number, next: number): void {
    const r = this.range.get(part);
    if (r === undefined || this.merge.isFinished(part)) return;
    if (next > this.next.get(part)!) this.next.set(part, Math.min(next, r.to));
    if (this.next.get(part)! >= r.to) {
      this.merge.finish(part);
      this.pause(part);
    } else if (this.merge.full(part)) this.pause(part);
    void this.drain();
  }

  private pause(p: number): void {
    if (this.paused.has(p)) return;
    this.paused.add(p);
    this.kafkaPauses++;
    this.consumer.pause([{ topic: this.topic, partitions: [p] }]);
  }

  private resumeDrained(): void {
    for (const p of this.paused) {
      if (!this.merge.wantsMore(p)) continue;
      this.paused.delete(p);
      this.consumer.resume([{ topic: this.topic, partitions: [p] }]);
    }
  }

  /**
   * Write merged records while the merge can choose (one loop at a time; a
   * batch arriving meanwhile is picked up by the running loop).
   */
  private async drain(): Promise<void> {
    if (this.draining) return;
    this.draining = true;
    try {
      const io = this.port.io;
      const times = this.times;
      let n = 0;
      let ingest = wallNow();
      while (!this.stopping) {
        const p = this.merge.nextPartition();
        if (p === MERGE_BLOCKED) break;
        if (p === MERGE_DONE) {
          this.port.publish();
          this.resolveDone();
          break;
        }
        const m = this.merge.take(p);
        this.reader.beginBatch(this.topic, p, ingest);
        let r = this.reader.read(m);
        while (r >= 0) {
          await this.port.waitForSpace(r);
          if (this.stopping) return;
          r = this.reader.read(m);
        }
        if (r === INGEST_OK && io[IO_TIME]! > times[0]!) {
          times[0] = io[IO_TIME]!;
          await this.raiseWatermark(times[0]! - this.bound);
        }
        if (++n % YIELD_EVERY === 0) {
          this.port.publish();
          this.resumeDrained();
          await yieldToLoop();
          ingest = wallNow();
        }
      }
      this.port.publish();
      this.resumeDrained();
    } catch (e) {
      this.fatal?.(e);
    } finally {
      this.draining = false;
    }
  }

  /** `wm` into every ring, behind the records written so far; a full ring is waited for, never skipped. */
  private async raiseWatermark(wm: number): Promise<void> {
    if (!(wm > this.times[1]!)) return;
    const w = this.ctx!.writer;
    for (let p = 0; p < w.rings.length; p++) {
      while (!w.writeWatermark(p, wm)) await w.waitForSpace(p, FRAME_HEADER_BYTES, true);
    }
    this.times[1] = wm;
    this.watermarks++;
  }

  private async close(): Promise<void> {
    try {
      const finish = (async () => {
        await this.consumer.disconnect();
        await this.admin.deleteGroups([this.throwawayGroup]).catch(() => {});
        await this.admin.disconnect();
      })();
      await Promise.race([finish.catch((e: unknown) => {
        process.stderr.write(`[sabre kafka] WARN ${this.name}: replay disconnect: ${errorText(e)}\n`);
      }), delay(CLOSE_TIMEOUT_MS, undefined, { ref: false })]);
    } finally {
      this.resolveClosed();
    }
  }
}
