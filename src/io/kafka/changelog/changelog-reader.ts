// Restoring units from a job's changelog topic: for each asked partition,
// the state of its last committed head.
//
// The end of each partition is fixed when the read begins: its high
// watermark, which counts the records of transactions still open. The
// consumer reads read_committed, so it never gets past the first open
// transaction's records (the last stable offset) and never sees records of
// aborted ones: a partition is done only once the transactions that were
// open at the start are settled (committed, or aborted by the broker after
// their timeout or by the fencing of a successor) and read past. The last
// records of a transactional partition are commit/abort markers no consumer
// sees as messages, so "read up to the end" is taken from the offsets of the
// fetched batches, markers and aborted records included (read-to-end.ts),
// never from counting messages. A fetch stuck at the last stable offset
// returns no records and moves nothing.
//
// The consumer is in a group of its own (read-to-end.ts), commits nothing,
// and the group is deleted at the end.
import { SabreError } from '../../../errors.js';
import { createKafka, errorText, type KafkaMessage } from '../kafka-client.js';
import { consumeToEnd, highWatermarksIfExists, ReadToEnd } from '../read-to-end.js';
import { assembleUnit, CHUNK_BYTES, decodeHead, parseChangelogKey, type UnitState } from './changelog-record.js';

/** How long a read waits, all told, by default: more than a transaction timeout of kafkajs's default (60 s). */
export const CHANGELOG_READ_TIMEOUT_MS = 120_000;
/** Fetch size per partition: several chunks per fetch (the client's default, 256 KiB, is half of one). */
const READ_BYTES_PER_PARTITION = 4 * CHUNK_BYTES;

/** What a read has done for one partition so far; `done` once it is read to its end (the last report for it). */
export interface ChangelogProgress {
  partition: number;
  /** Key and value bytes of the committed messages read. */
  bytes: number;
  messages: number;
  /** Since the read began. */
  elapsedMs: number;
  done: boolean;
}

export interface ReadChangelogOptions {
  /** The whole read, waiting for open transactions included (default CHANGELOG_READ_TIMEOUT_MS); ERR_CHANGELOG_TIMEOUT beyond it. */
  timeoutMs?: number;
  onProgress?: (p: ChangelogProgress) => void;
}

/** One partition's read: the latest value of each key (where it ends and how far it got: ReadToEnd). */
class PartitionRead {
  head: Buffer | undefined;
  readonly chunks = new Map<number, Buffer>();
  bytes = 0;
  messages = 0;
  constructor(readonly partition: number) {}

  apply(m: KafkaMessage): void {
    const key = m.key?.toString('utf8') ?? '';
    const k = parseChangelogKey(key);
    if (!k || k.partition !== this.partition) {
      throw new SabreError('ERR_CHANGELOG_CORRUPT', `a message at offset ${m.offset} keyed "${key}", not a key of unit ${this.partition}`);
    }
    // A copy: a view would keep the whole fetch response alive while the key is overwritten.
    const value = m.value === null ? undefined : Buffer.from(m.value);
    if (k.chunk === undefined) this.head = value;
    else if (value === undefined) this.chunks.delete(k.chunk);
    else this.chunks.set(k.chunk, value);
    this.bytes += key.length + (value?.length ?? 0);
    this.messages++;
  }

  unit(): UnitState | undefined {
    if (this.head === undefined) return undefined;
    const head = decodeHead(this.head);
    if (head.partition !== this.partition) throw new SabreError('ERR_CHANGELOG_CORRUPT', `its head is of partition ${head.partition}`);
    return assembleUnit(head, (i) => this.chunks.get(i));
  }
}

/**
 * The latest committed state of each of `partitions` (changelog partition =
 * unit = input partition) in changelog `topic`; a partition with none is not
 * in the map. ERR_CHANGELOG_CORRUPT for a record that cannot be decoded or a
 * head whose chunks are missing or do not match it; ERR_CHANGELOG_TIMEOUT
 * when the read does not end within `timeoutMs`; ERR_CHANGELOG_INVALID for a
 * partition the topic does not have; ERR_SOURCE when the brokers cannot be
 * reached.
 */
export async function readChangelog(brokers: string, topic: string, partitions: readonly number[], o: ReadChangelogOptions = {}): Promise<Map<number, UnitState>> {
  const t0 = Date.now();
  const timeoutMs = o.timeoutMs ?? CHANGELOG_READ_TIMEOUT_MS;
  const kafka = createKafka(brokers);
  const ends = await endOffsets(kafka, brokers, topic, partitions);
  const reads = new Map(partitions.map((p) => [p, new PartitionRead(p)]));
  const report = (r: PartitionRead): void => o.onProgress?.({
    partition: r.partition, bytes: r.bytes, messages: r.messages, elapsedMs: Date.now() - t0, done: !ends.pending.has(r.partition),
  });
  for (const r of reads.values()) if (!ends.pending.has(r.partition)) report(r);
  if (ends.pending.size > 0) await consume(kafka, topic, ends, reads, report, { deadline: t0 + timeoutMs, timeoutMs });
  const out = new Map<number, UnitState>();
  for (const r of reads.values()) {
    let u: UnitState | undefined;
    try {
      u = r.unit();
    } catch (e) {
      throw new SabreError('ERR_CHANGELOG_CORRUPT', `changelog ${topic} partition ${r.partition}: ${(e as Error).message}`, { cause: e });
    }
    if (u) out.set(r.partition, u);
  }
  return out;
}

/** The asked partitions' read, each ending at its high watermark now (not the last stable offset: open transactions are waited for). */
async function endOffsets(kafka: ReturnType<typeof createKafka>, brokers: string, topic: string, partitions: readonly number[]): Promise<ReadToEnd> {
  let offsets: { partition: number; high: string; low: string }[] | undefined;
  try {
    offsets = await highWatermarksIfExists(kafka, topic);
  } catch (e) {
    throw new SabreError('ERR_SOURCE', `changelog ${topic}: cannot read its offsets at ${brokers}: ${errorText(e)}`, { cause: e });
  }
  if (!offsets) {
    throw new SabreError('ERR_CHANGELOG_INVALID', `changelog topic ${topic} does not exist at ${brokers}: create it first (ensureChangelogTopic), or name the job's own`);
  }
  const listed = offsets;
  return new ReadToEnd(partitions.map((p) => {
    const at = listed.find((x) => x.partition === p);
    if (!at) {
      throw new SabreError('ERR_CHANGELOG_INVALID',
        `changelog ${topic} has no partition ${p} (it has ${listed.length}): it must have one partition per input partition`);
    }
    return at;
  }));
}

/** Read the pending partitions to their ends, or fail. */
async function consume(kafka: ReturnType<typeof createKafka>, topic: string, ends: ReadToEnd, reads: Map<number, PartitionRead>,
  report: (r: PartitionRead) => void, t: { deadline: number; timeoutMs: number }): Promise<void> {
  try {
    await consumeToEnd(kafka, topic, ends, {
      groupPrefix: 'sabre-changelog-read',
      maxBytesPerPartition: READ_BYTES_PER_PARTITION,
      timeoutMs: t.deadline - Date.now(),
      timedOut: () => timeoutError(topic, ends, t.timeoutMs),
      eachBatch: (batch, pause) => {
        const r = reads.get(batch.partition);
        if (!r || !ends.pending.has(r.partition)) {
          pause(batch.partition);
          return;
        }
        const end = ends.end(r.partition);
        try {
          for (const m of batch.messages) if (Number(m.offset) < end) r.apply(m);
        } catch (e) {
          ends.fail(new SabreError('ERR_CHANGELOG_CORRUPT', `changelog ${topic} partition ${r.partition}: ${(e as Error).message}`, { cause: e }));
        }
      },
      batchEnded: (partition) => report(reads.get(partition)!),
    });
  } catch (e) {
    if (e instanceof SabreError) throw e;
    throw new SabreError('ERR_SOURCE', `changelog ${topic}: cannot consume it: ${errorText(e)}`, { cause: e });
  }
}

function timeoutError(topic: string, ends: ReadToEnd, timeoutMs: number): SabreError {
  const where = [...ends.pending].map((p) => `partition ${p} at offset ${ends.next(p)} of ${ends.end(p)}`).join(', ');
  return new SabreError('ERR_CHANGELOG_TIMEOUT',
    `changelog ${topic}: not read to its end within ${timeoutMs} ms (${where}). A transaction still open holds a partition back ` +
    '(a job member that is still writing it, or one that died, whose transaction the broker aborts after its transaction timeout): ' +
    'retry, or allow more than the transaction timeout');
}
