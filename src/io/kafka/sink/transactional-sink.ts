import { setTimeout as delay } from 'node:timers/promises';
import type { Manifest } from '../../../checkpoint/manifest.js';
import { SabreError } from '../../../errors.js';
import type { CommittingSink } from '../../sinks/committing-sink.js';
import type { MemberStats } from '../../../metrics/stats-snapshot.js';
import { KAFKA_DEFAULTS, errorText, isTransient, retryTransient, type Admin, type Message, type Producer, type Transaction } from '../kafka-client.js';
import type { SinkLimits } from './sink-limits.js';
import type { KafkaPosition } from '../source/offset-tracker.js';
import { forEachLine, resultEncoder, resultMessage, type MessageKeyFields, type ResultEncoder, type ResultMessage } from './result-message.js';
import { TransactionLane } from './transaction-lane.js';
import type { ChangelogWrites } from '../changelog/changelog-writer.js';
import { SendBatcher } from './send-batcher.js';
import { logRetry, sendUntilAcked } from './send-retry.js';
import { JobRecordEncoder } from './job-record-codec.js';

/**
 * The transaction timeout asked of the broker: a transaction stays open for
 * about one checkpoint interval (plus the checkpoint itself), so three
 * intervals, at least kafkajs's 60 s and at most the broker's default
 * transaction.max.timeout.ms (15 min; options.ts keeps the interval ≤ 5 min).
 * It is also how long read_committed consumers wait behind the open
 * transaction of a process that died and is not restarted.
 */
export function transactionTimeoutFor(checkpointIntervalMs: number, changelog = false): number {
  return Math.min(15 * 60_000, Math.max(changelog ? CHANGELOG_MIN_TRANSACTION_TIMEOUT_MS : 60_000, 3 * checkpointIntervalMs));
}

/**
 * With --changelog, the member that takes a partition over from one that
 * died mid-commit reads its changelog only once the dead member's open
 * transaction is gone, which the broker sees to after this timeout: kept
 * short. But a live member's transaction stays open through a rebalance
 * until its rewind aborts it, and a rebalance may take up to kafkajs's
 * rebalance timeout (KAFKA_DEFAULTS.rebalanceTimeout, 20 s) when a member is
 * slow to rejoin: a transaction the broker expired meanwhile could not be
 * aborted, and the member would fail. So: the rebalance timeout and 10 s more.
 */
export const CHANGELOG_MIN_TRANSACTION_TIMEOUT_MS = KAFKA_DEFAULTS.rebalanceTimeout + 10_000;

export interface TransactionalSinkSettings {
  topic: string;
  /**
   * Consumer group whose committed offset for partition 0 of `topic` is the
   * id of the last checkpoint whose transaction committed (the marker: it is
   * committed inside each transaction, so it moves exactly when results do).
   */
  markerGroup: string;
  /** A Kafka source whose checkpointed offsets commit in the same transaction: its name (`kafka:TOPIC`) and group. */
  source: { name: string; group: string } | undefined;
  format: 'json' | 'flatbuffers';
  aggregates: readonly string[];
  limits: SinkLimits;
  /** How the results written to the sink itself are keyed (a job's key fields; undefined: window results' `key`). */
  keyFields?: MessageKeyFields;
}

/**
 * `--sink kafka:TOPIC` with checkpoints (`--sink-transactional`, on by
 * default with `--checkpoint-dir`): the results of checkpoint epoch e (fired
 * after barrier e-1, before barrier e) are sent inside one Kafka transaction,
 * committed when checkpoint e is complete — its manifest written — together
 * with the marker offset (e) and, with a Kafka source, the source offsets the
 * manifest recorded. A `read_committed` consumer sees each epoch's results
 * once, whole, or not at all; results and input offsets move together.
 *
 * Crashes. Opening the sink initialises the transactional id, which fences
 * the process it replaces and aborts that process's open transaction. The
 * marker then says which checkpoint committed last (k), and the engine
 * restores checkpoint k, not a newer manifest whose transaction never
 * committed (a crash between manifest and commit): output resumes exactly
 * after the last committed results.
 *
 * Epochs. Kafka allows one open transaction per producer, and workers cross
 * a barrier at different moments: results of epoch e+1 from a worker that is
 * ahead arrive while epoch e is still open. They are held in memory until e
 * commits; once that holds maxInFlightBytes, `accepts()` turns false and the
 * drain leaves the out-rings of the workers that are ahead unread (they wait
 * for space) while the slower ones reach the barrier.
 *
 * Backpressure, as for the plain sink: write() returns false once the bytes
 * of the open epoch not yet acknowledged exceed maxInFlightBytes; drained()
 * resolves below half of it. Sends run one at a time (idempotent, one request
 * in flight), transient failures are retried; any other failure, or a commit
 * that fails, fails the sink (ERR_SINK) and with it the run — the restart
 * restores the last committed checkpoint.
 *
 * Other topics. A job's named Kafka sinks are lanes of this sink (`lane()`):
 * their results go out in the same transactions, so every topic commits an
 * epoch at once, with the one marker — two producers could not commit two
 * transactions atomically, and a crash between their commits would leave one
 * topic an epoch ahead of the state restored.
 */
export class TransactionalKafkaSink implements CommittingSink {
  readonly name: string;
  lines = 0;
  /** Messages acknowledged inside transactions, send attempts retried, transactions committed. */
  sent = 0;
  retries = 0;
  commits = 0;
  /** Transactions aborted by rewind() (rebalances under --changelog), and commits refused while fenced. */
  aborts = 0;
  fencedCommits = 0;
  committedCheckpoint = 0;
  readonly commitsPositionsOf: string | undefined;
  /**
   * More of each checkpoint's transaction, after its results and before its
   * offsets and commit: the job's changelog (--changelog, src/io/kafka/changelog/).
   */
  beforeCommit: ((txn: Transaction, m: Manifest) => Promise<void>) | undefined;
  /** Asked right before each commit (--changelog: is this member still in a stable group?); false: not now. */
  commitGuard: (() => Promise<boolean>) | undefined;
  /** The changelog's figures, when there is one. */
  changelog: ChangelogWrites | undefined;
  /** Between a rebalance's start and the rewind: nothing of the open transaction may commit (fence()). */
  private fenced = false;
  /** Results of epochs below this are of undone work (a rewind under way): dropped, never sent. */
  private dropBelow = 0;
  /** The commit under way, if any (a rewind waits for it: it either commits whole or returns at the fence). */
  private committing: Promise<void> | undefined;
  /** The epoch the open transaction collects: results of any epoch up to it are sent at once. */
  private epoch = 1;
  private readonly batcher: SendBatcher;
  private sendingBytes = 0;
  /** Results of epochs after `epoch`, waiting for it to commit. */
  private readonly later = new Map<number, ResultMessage[]>();
  private laterBytes = 0;
  private txn: Promise<Transaction> | undefined;
  private error: unknown;
  private flushing = false;
  private closing = false;
  private drainWaiters: (() => void)[] = [];
  private readonly encoder: ResultEncoder | undefined;
  /** A job's outputs as flatbuffers Records: they need their event time (LineSink.timedLines); its lanes' too. */
  readonly timedLines: boolean;
  private readonly limits: SinkLimits;

  private constructor(private readonly s: TransactionalSinkSettings, private readonly producer: Producer) {
    this.name = `kafka:${s.topic}`;
    this.limits = s.limits;
    this.commitsPositionsOf = s.source?.name;
    this.encoder = resultEncoder(s.format, s.aggregates, s.keyFields);
    this.timedLines = this.encoder instanceof JobRecordEncoder;
    this.batcher = new SendBatcher(s.limits, (batch, bytes) => this.sendBatch(batch, bytes), () => Boolean(this.error),
      () => this.flushing || this.closing);
  }

  /**
   * A connected producer with a transactional id → the sink, once the id is
   * initialised (fencing the previous holder, aborting its open transaction)
   * and the last committed checkpoint is read back from the marker.
   */
  static async open(s: TransactionalSinkSettings, producer: Producer, admin: Admin): Promise<TransactionalKafkaSink> {
    const sink = new TransactionalKafkaSink(s, producer);
    await sink.transaction();
    // A broker that just started answers COORDINATOR_LOAD_IN_PROGRESS for a while: transient, retried.
    const [t] = await retryTransient(() => admin.fetchOffsets({ groupId: s.markerGroup, topics: [s.topic] }), OPEN_ATTEMPTS);
    const marker = t?.partitions.find((p) => p.partition === 0);
    sink.committedCheckpoint = Math.max(0, Number(marker?.offset ?? -1));
    return sink;
  }

  /** Unacknowledged or uncommitted bytes held right now (for tests and metrics). */
  get pendingBytes(): number {
    return this.batcher.bytes + this.sendingBytes + this.laterBytes;
  }

  private get sendableBytes(): number {
    return this.batcher.bytes + this.sendingBytes;
  }

  begin(epoch: number): void {
    this.epoch = epoch;
  }

  accepts(epoch: number): boolean {
    return this.error !== undefined || epoch <= this.epoch || this.laterBytes < this.limits.maxInFlightBytes;
  }

  write(chunk: string, lines: number): boolean {
    return this.writeEpoch(this.epoch, chunk, lines);
  }

  writeEpoch(epoch: number, chunk: string, lines: number): boolean {
    this.lines += lines;
    return this.writeTo(undefined, this.s.keyFields, epoch, chunk);
  }

  /** A sink for `topic` whose results go out in this sink's transactions (a job's named sink; its topic must exist). */
  lane(topic: string, keyFields: MessageKeyFields): TransactionLane {
    return new TransactionLane(topic, this, keyFields);
  }

  /** Results of `epoch` for `topic` (undefined: the sink's own), keyed as `keyFields` says. */
  writeTo(topic: string | undefined, keyFields: MessageKeyFields, epoch: number, chunk: string): boolean {
    if (this.error) throw this.sinkError();
    if ((epoch === 0 ? this.epoch : epoch) < this.dropBelow) return this.sendableBytes < this.limits.maxInFlightBytes;
    const message = (line: string): ResultMessage => {
      const m = resultMessage(line, this.encoder, keyFields);
      if (topic !== undefined) m.topic = topic;
      return m;
    };
    if (epoch <= this.epoch) {
      forEachLine(chunk, (line) => this.enqueue(message(line)));
      this.batcher.kick();
    } else {
      let held = this.later.get(epoch);
      if (!held) this.later.set(epoch, (held = []));
      const list = held;
      forEachLine(chunk, (line) => {
        const m = message(line);
        list.push(m);
        this.laterBytes += m.bytes;
      });
    }
    return this.sendableBytes < this.limits.maxInFlightBytes;
  }

  drained(): Promise<void> {
    if (this.error || this.sendableBytes < this.limits.maxInFlightBytes) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  /**
   * Checkpoint m is complete: every result of epochs up to m.id has been
   * handed over (acknowledgements follow results). Send what is left of them,
   * then commit the transaction with the marker and the source offsets.
   */
  commitCheckpoint(m: Manifest): Promise<void> {
    const run = this.commitNow(m);
    this.committing = run;
    return run.finally(() => { if (this.committing === run) this.committing = undefined; });
  }

  private async commitNow(m: Manifest): Promise<void> {
    if (this.error) throw this.sinkError();
    if (m.id < this.epoch) return;
    if (this.fenced) {
      this.fencedCommits++;
      return;
    }
    this.epoch = m.id;
    this.promote(m.id);
    this.flushing = true;
    try {
      this.batcher.hurryNow();
      await this.batcher.idle();
      if (this.error) throw this.error;
      const txn = await this.transaction();
      if (this.beforeCommit) await this.beforeCommit(txn, m);
      const { topic, markerGroup, source } = this.s;
      if (this.fenced) {
        this.fencedCommits++;
        return;
      }
      await this.untilDone(() => txn.sendOffsets({
        consumerGroupId: markerGroup, topics: [{ topic, partitions: [{ partition: 0, offset: String(m.id) }] }],
      }));
      const positions = source ? m.sources.find((x) => x.name === source.name)?.position as KafkaPosition[] | undefined : undefined;
      if (source && positions && positions.length > 0) {
        await this.untilDone(() => txn.sendOffsets({ consumerGroupId: source.group, topics: byTopic(positions) }));
      }
      // The last moment a rebalance (fence) or the coordinator (commitGuard: this member was evicted, or the group
      // is rebalancing) can keep this transaction from committing; fenced is read again after the guard's await.
      const allowed = !this.fenced && (this.commitGuard === undefined || await this.commitGuard());
      if (!allowed || this.fenced) {
        this.fencedCommits++;
        return;
      }
      await txn.commit();
    } catch (e) {
      this.fail(e, `commit of checkpoint ${m.id} failed`);
      throw this.sinkError();
    } finally {
      this.flushing = false;
    }
    this.txn = undefined;
    this.committedCheckpoint = m.id;
    this.commits++;
    this.epoch = m.id + 1;
    this.promote(this.epoch);
    this.batcher.kick();
    this.wakeDrained();
  }

  /**
   * A consumer group rebalance began (--changelog): the open transaction's
   * partitions may be another member's by now, so it must never commit; the
   * engine rewinds next (rewind()).
   */
  fence(dropBelow?: number): void {
    this.fenced = true;
    if (dropBelow !== undefined && dropBelow > this.dropBelow) this.dropBelow = dropBelow;
  }

  /**
   * The engine throws away what it did since its last commit (a rebalance,
   * --changelog): the open transaction is aborted with every result in it —
   * at once, before anyone reads the changelog it may have begun writing —
   * and results of epochs below `dropBelow` are dropped, queued, held or
   * still to come. Nothing commits until resume().
   */
  async abort(dropBelow: number): Promise<void> {
    if (this.error) throw this.sinkError();
    this.fence(dropBelow);
    await this.committing?.catch(() => {});
    this.batcher.clear();
    for (const [e, list] of [...this.later]) {
      if (e >= dropBelow) continue; // results of the rewound work, held until resume()
      this.later.delete(e);
      for (const m of list) this.laterBytes -= m.bytes;
    }
    await this.batcher.idle();
    const open = await this.txn?.catch(() => undefined);
    this.txn = undefined;
    if (open?.isActive()) {
      try {
        await open.abort();
      } catch (e) {
        this.fail(e, 'abort of the open transaction failed');
        throw this.sinkError();
      }
      this.aborts++;
    }
    this.wakeDrained();
  }

  /** After abort(): the engine has rewound; results from now on belong to `epoch`, in a new transaction. */
  resume(epoch: number): void {
    this.epoch = epoch;
    this.fenced = false;
    this.promote(epoch);
    this.batcher.kick();
    this.wakeDrained();
  }

  /** CommittingSink.memberStats: transactions, and what the changelog cost in them. */
  memberStats(): Pick<MemberStats, 'changelog' | 'transactions'> {
    const c = this.changelog;
    return {
      changelog: { checkpoints: c?.checkpoints ?? 0, bytes: c?.bytes ?? 0, messages: c?.messages ?? 0, lastWriteMs: c?.lastWriteMs ?? 0 },
      transactions: { commits: this.commits, aborts: this.aborts, fencedCommits: this.fencedCommits },
    };
  }

  /** Checkpoint id failed after its barriers: its results commit with the next checkpoint. */
  abandon(id: number): void {
    if (id < this.epoch) return;
    this.epoch = id + 1;
    this.promote(this.epoch);
    this.batcher.kick();
  }

  /**
   * Stop: whatever is still open was not committed with a checkpoint (results
   * after a final savepoint, or a failed run) and is aborted now, so
   * read_committed consumers need not wait for the transaction timeout; the
   * next run produces it again.
   */
  async close(): Promise<void> {
    this.closing = true;
    try {
      await this.batcher.idle();
      const open = await this.txn?.catch(() => undefined);
      if (open?.isActive()) await open.abort().catch(() => {});
      this.txn = undefined;
      if (this.error) throw this.sinkError();
    } finally {
      await this.producer.disconnect().catch(() => {});
    }
  }

  /** The open transaction, begun on first use (the first call initialises the transactional id). */
  private transaction(): Promise<Transaction> {
    if (!this.txn) {
      const t = this.producer.transaction();
      this.txn = t;
      t.catch(() => { if (this.txn === t) this.txn = undefined; });
    }
    return this.txn;
  }

  /**
   * Retry `op` while it fails transiently. kafkajs does not retry
   * AddOffsetsToTxn, which answers CONCURRENT_TRANSACTIONS while the broker
   * still writes the markers of the previous commit (an empty epoch's
   * transaction starts with it); a failed add leaves the transaction as it was.
   */
  private async untilDone(op: () => Promise<void>): Promise<void> {
    let backoff = 20; // markers take milliseconds: retry soon, then back off like sends
    for (let attempt = 1; ; attempt++) {
      try {
        return await op();
      } catch (e) {
        if (!isTransient(e) || this.closing) throw e;
        this.retries++;
        if (attempt % 10 === 0) process.stderr.write(`[sabre kafka] WARN ${this.name}: sendOffsets failed (${errorText(e)}); retrying (attempt ${attempt})\n`);
        await delay(backoff);
        backoff = Math.min(backoff * 2, this.limits.maxRetryBackoffMs);
      }
    }
  }

  private enqueue(m: ResultMessage): void {
    this.batcher.push(m);
  }

  /** Held results of epochs up to `upTo` join the open transaction. */
  private promote(upTo: number): void {
    for (const [e, list] of [...this.later].sort((a, b) => a[0] - b[0])) {
      if (e > upTo) break;
      this.later.delete(e);
      for (const m of list) {
        this.laterBytes -= m.bytes;
        this.enqueue(m);
      }
    }
  }

  private async sendBatch(batch: ResultMessage[], bytes: number): Promise<void> {
    const l = this.limits;
    this.sendingBytes += bytes;
    try {
      const txn = await this.transaction();
      // Runs of one topic, in order: per-key order holds within each topic.
      for (let from = 0; from < batch.length;) {
        const topic = batch[from]!.topic;
        let to = from + 1;
        while (to < batch.length && batch[to]!.topic === topic) to++;
        const messages: Message[] = batch.slice(from, to).map((p) => ({ key: p.key, value: p.value }));
        await sendUntilAcked(txn, topic ?? this.s.topic, messages, (attempt, e) => {
          this.retries++;
          logRetry(topic === undefined ? this.name : `kafka:${topic}`, attempt, e, messages.length);
        }, { backoffMs: l.retryBackoffMs, maxBackoffMs: l.maxRetryBackoffMs });
        this.sent += messages.length;
        from = to;
      }
    } catch (e) {
      this.fail(e, 'send failed for good');
    }
    this.sendingBytes -= bytes;
    if (this.sendableBytes <= l.maxInFlightBytes / 2 || this.error) this.wakeDrained();
  }

  private fail(e: unknown, what: string): void {
    if (this.error) return;
    this.error = e;
    process.stderr.write(`[sabre kafka] ERROR ${this.name}: ${what}: ${errorText(e)}\n`);
    this.wakeDrained();
  }

  private wakeDrained(): void {
    const ws = this.drainWaiters;
    this.drainWaiters = [];
    for (const w of ws) w();
  }

  private sinkError(): SabreError {
    return new SabreError('ERR_SINK', `${this.name}: ${errorText(this.error)}`, { cause: this.error });
  }
}

/** Checkpointed Kafka positions → sendOffsets' topics. */
function byTopic(positions: KafkaPosition[]): { topic: string; partitions: { partition: number; offset: string }[] }[] {
  const m = new Map<string, { partition: number; offset: string }[]>();
  for (const p of positions) {
    let list = m.get(p.topic);
    if (!list) m.set(p.topic, (list = []));
    list.push({ partition: p.partition, offset: p.offset });
  }
  return [...m].map(([topic, partitions]) => ({ topic, partitions }));
}

/** Attempts at opening against a broker that answers transiently (a coordinator still loading after a start). */
const OPEN_ATTEMPTS = 40;

/** `op` again while it fails transiently, backing off up to a second, `attempts` times in all. */