import { setTimeout as delay } from 'node:timers/promises';
import { SabreError } from '../../../errors.js';
import { type Handover, type Source, type SourceContext, type SourceMemberStats } from '../../sources/source.js';
import { wallNow } from '../../../time/wall-clock.js';
import { INGEST_OK, type IngestPort } from '../../sources/ingest-port.js';
import { IO_TIME } from '../../../partition/partitioned-writer.js';
import type { InputWatermarks } from '../../../time/input-watermarks.js';
import { MessageReader } from './message-reader.js';
import {
  KAFKA_DEFAULTS, KAFKA_READS_WITH, errorText, isRebalancing,
  type Consumer, type EachBatchPayload,
} from '../kafka-client.js';
import { OffsetTracker, type KafkaPosition } from './offset-tracker.js';
import { COMMIT_INTERVAL_MS, OffsetCommitter } from './offset-committer.js';
import { SoleMember } from './sole-member.js';
import { PartitionProgress } from './partition-progress.js';
import { isUnreachableCoordinator, rejoinAfterOutage } from './outage-rejoin.js';
import { JoinSeeks } from './join-seeks.js';
import type { GroupMember, KeptState } from './group-member.js';
import { onRejoin } from './rejoin-hook.js';
import { GroupView } from './group-view.js';

export type { KafkaPosition } from './offset-tracker.js';
export { COMMIT_INTERVAL_MS } from './offset-committer.js';
export { SHARED_GROUP_GRACE_MS } from './sole-member.js';

/** How long stop() gives the final commit and the group leave before giving up on the broker. */
const CLOSE_TIMEOUT_MS = 10_000;
/** How long a member (--changelog) stays in its group for the run's last commit (a savepoint of its whole state). */
const LEAVE_WAIT_MS = 120_000;

/**
 * `--source kafka:TOPIC`: a kafkajs consumer group feeding the engine through
 * its ingest port, one `eachBatch` at a time.
 *
 * - Records: MessageReader (key = the message key's bytes, so key groups agree
 *   with Kafka's partitioner; JSON or flatbuffers values). A value that cannot
 *   be used is dead-lettered with its reason and `kafka:TOPIC/PARTITION@OFFSET`;
 *   its offset is accepted like any other, so a bad message never blocks a partition.
 * - Offsets: auto-commit and auto-resolve are off. An offset is accepted once
 *   its record is in a ring or dead-lettered; kafkajs's resolved offset and our
 *   tracker are brought up to the accepted position at the end of each batch
 *   and before every await inside one (only then can kafkajs look at them),
 *   which costs one resolve per batch instead of one Long sum per record.
 *   Commits (OffsetCommitter) carry accepted positions only: every
 *   COMMIT_INTERVAL_MS, when the group starts rebalancing (the REBALANCING
 *   event, or a heartbeat that fails with a rebalance error inside a batch —
 *   kafkajs 2.2.4 has no partitions-revoked callback, and drops uncommitted
 *   work when it re-joins with auto-commit off), and on stop.
 * - Rebalances (without checkpoints): everything accepted is committed before
 *   we re-join — in the turn kafkajs reports the rebalance, or, when a batch's
 *   heartbeat finds it, before that batch rethrows — and a member that stops
 *   commits before it leaves. So a revoked partition's next owner starts
 *   right after our last accepted record, and a graceful join or leave moves
 *   partitions without a record read twice or skipped
 *   (test/kafka/kafka-rebalance.test.ts). Records are read again — at-least-once —
 *   only after a member dies without committing (up to COMMIT_INTERVAL_MS of
 *   them) or Kafka refused the commit; with checkpoints, the new owner starts
 *   at the last complete checkpoint's offsets. Records accepted before a
 *   revocation stay in this engine's windows: a window whose records a
 *   rebalance split fires in both members, each with its part.
 * - Duplicates: when kafkajs re-reads from the last commit (after a rebalance
 *   or a restart of its runner, e.g. after a broker outage), records below the
 *   accepted position of a partition we kept are skipped, not written twice.
 * - Backpressure: a full ring pauses exactly the Kafka partition of the batch
 *   being processed, waits for the ring (heartbeating, so a long wait is not a
 *   lost member), resumes it and retries the same message. Nothing is dropped.
 * - Event time: per Kafka partition (PartitionProgress); the source's
 *   watermark goes to the engine (ctx.watermark) after each batch and from
 *   its idle sweep (watermark()).
 *
 * Unbounded: it runs until the engine stops it. stop() stops accepting at
 * once; the final commit and the group leave follow (see `closed`).
 */
export class KafkaSource implements Source {
  readonly name: string;
  // Records, ring waits and paused time are counted on the ingest port of the
  // same name, which the stats merge with this one into one entry; these stay 0.
  records = 0;
  pauses = 0;
  pausedMs = 0;
  /** Messages seen, duplicates skipped after a re-read, Kafka partition pauses. */
  messages = 0;
  duplicates = 0;
  kafkaPauses = 0;
  readonly offsets = new OffsetTracker();
  /** Which record batch decoder kafkajs reads with in this process (record-batch-decoder.ts). */
  readonly readsWith = KAFKA_READS_WITH;
  /** Settles when stop() has committed and left the group. */
  readonly closed: Promise<void>;

  private stopping = false;
  private started = false;
  private resolveStop!: () => void;
  private readonly stopSignal = new Promise<void>((r) => { this.resolveStop = r; });
  private resolveClosed!: () => void;
  private fatal: ((e: unknown) => void) | undefined;
  private batchDone: Promise<void> = Promise.resolve();
  private readonly committer: OffsetCommitter;
  private readonly reader: MessageReader;
  /** With checkpoints, the group must have this one member (its partitions' windows are here). */
  private readonly soleMember: SoleMember;
  /** Event-time progress per Kafka partition (on the progress's idle clock). */
  readonly eventTime: InputWatermarks;
  private readonly partitionProgress: PartitionProgress;
  private ctx: SourceContext | undefined;

  /**
   * With checkpoints, offsets are committed only by commitCheckpoint(), after
   * the checkpoint holding those records is complete: no periodic, rebalance
   * or stop commits. A restart then resumes exactly at the checkpoint.
   */
  private readonly checkpointed: boolean;
  private readonly seeks: JoinSeeks;
  /** A member's last commit as the run stops (leaveAfter); the group is left only after it. */
  private lastCommit: Promise<unknown> = Promise.resolve();
  /** A member's id in the group (from its last join), and the group as its coordinator describes it (stats). */
  private memberId: string | null = null;
  private readonly groupView: GroupView | undefined;
  /** What this member committed before its last re-join, and as which member id (a re-join that kept the id keeps that state). */
  private handover: (Handover & { memberId: string | null }) | undefined;
  /** A member's hook before each re-join (rejoin-hook.ts), removed at close. */
  private leaveRejoinHook: (() => void) | undefined;

  constructor(readonly topic: string, readonly group: string, private readonly consumer: Consumer,
    private readonly port: IngestPort, format: 'json' | 'flatbuffers', fields: { time: string; value: string },
    checkpointed = false, resume: KafkaPosition[] = [],
    time: { outOfOrderness: number; idleTimeout: number } = { outOfOrderness: 0, idleTimeout: Infinity },
    start: KafkaPosition[] = [], readonly member?: GroupMember) {
    this.checkpointed = checkpointed;
    this.seeks = new JoinSeeks(resume, start);
    this.partitionProgress = new PartitionProgress(time.outOfOrderness, time.idleTimeout);
    this.eventTime = this.partitionProgress.partitions;
    // Restored from a checkpoint: records below its positions are in the restored state already.
    for (const r of resume) if (BigInt(r.offset) > 0n) this.offsets.accept(r.topic, r.partition, (BigInt(r.offset) - 1n).toString());
    this.name = `kafka:${topic}`; // = --source, the name checkpoints record positions under
    this.committer = new OffsetCommitter(consumer, this.offsets, this.name);
    this.soleMember = new SoleMember(consumer, this.name, topic, group, () => this.stopping, (e) => this.fatal?.(e));
    this.reader = new MessageReader(port, format, fields);
    this.closed = new Promise((r) => { this.resolveClosed = r; });
    if (member) this.groupView = new GroupView(consumer, topic);
    const ev = consumer.events;
    consumer.on(ev.COMMIT_OFFSETS, ({ payload }) => this.offsets.markCommitted(payload.topics));
    consumer.on(ev.GROUP_JOIN, ({ payload }) => {
      if (this.member) {
        this.memberId = payload.memberId;
        // --start-from's position for a partition the group had no commit for (a restored one is sought in memberReady).
        this.seeks.onJoin(payload.memberAssignment, (r) => this.consumer.seek({ topic: r.topic, partition: r.partition, offset: r.offset }));
        this.joinAsMember(payload.memberAssignment[this.topic] ?? [], this.keptState(payload.memberId));
        return;
      }
      if (this.checkpointed && this.soleMember.tookPartitions(payload.memberAssignment)) return;
      this.offsets.retain(payload.memberAssignment);
      // Partitions assigned now hold the watermark back until they are read (or idle); revoked ones stop counting.
      this.partitionProgress.assign(payload.memberAssignment[this.topic] ?? []);
      // A restored checkpoint's positions, else --start-from's for partitions without a commit.
      this.seeks.onJoin(payload.memberAssignment, (r) => this.consumer.seek({ topic: r.topic, partition: r.partition, offset: r.offset }));
      if (this.checkpointed) void this.soleMember.check();
    });
    // The runner is about to re-join: save what we accepted while our generation is still valid.
    // A member commits a checkpoint in its re-join's hook (rejoin-hook.ts) and is revoked there; others save offsets now.
    consumer.on(ev.REBALANCING, () => { if (!this.member && !this.checkpointed) this.committer.beforeRejoin(); });
    if (member) {
      this.leaveRejoinHook = onRejoin(group, () => this.memberId, async (budgetMs) => {
        this.handover = undefined;
        if (this.stopping || !this.ctx?.revoking) {
          this.ctx?.revoked?.();
          return;
        }
        const h = await this.ctx.revoking(budgetMs);
        if (h) this.handover = { memberId: this.memberId, ...h };
      });
    }
    consumer.on(ev.CRASH, ({ payload }) => {
      if (payload.restart) return;
      if (isUnreachableCoordinator(payload.error)) {
        rejoinAfterOutage(this.name, payload.error, () => this.stopping, () => this.runConsumer(), (e) => this.fatal?.(e));
      } else this.fatal?.(payload.error);
    });
  }

  /**
   * A member of a scaled-out job (--changelog): every assignment restores the
   * partitions now ours from the changelog (GroupMember) before a record of
   * theirs is read; eachBatch waits for it. What we had accepted is undone
   * by the engine's rewind, so positions restart from the restored state.
   */
  /**
   * The state this member committed just before re-joining (the handover),
   * if the join kept its member id: the coordinator gave none of its
   * partitions to anyone in between, so for those it keeps, that commit is
   * the newest state there is (GroupMember restores them from local files).
   */
  private keptState(memberId: string): KeptState | undefined {
    const h = this.handover;
    this.handover = undefined;
    if (h === undefined || h.memberId !== memberId) return undefined;
    const files = new Map<number, string>();
    for (const f of h.files) {
      const m = /partition-(\d+)\.snap$/.exec(f);
      if (m) files.set(Number(m[1]), f);
    }
    const positions = (h.sources.find((s) => s.name === this.name)?.position ?? []) as KafkaPosition[];
    return { files, next: new Map(positions.filter((p) => p.topic === this.topic).map((p) => [p.partition, BigInt(p.offset)])) };
  }

  private joinAsMember(partitions: number[], kept?: KeptState): void {
    const member = this.member!;
    // Stopping: nothing more is read or restored here, and the last commit may not happen (the partitions may be another's now).
    if (this.stopping) {
      this.ctx?.revoked?.();
      return;
    }
    this.offsets.clear();
    this.partitionProgress.assign([]);
    this.partitionProgress.assign(partitions);
    member.assign(partitions, this.ctx, kept, (next) => {
      this.offsets.clear();
      for (const [p, off] of next) this.offsets.accept(this.topic, p, (off - 1n).toString());
      this.partitionProgress.assign([]);
      this.partitionProgress.assign(member.assigned);
    });
    member.whenReady().catch((e: unknown) => this.fatal?.(e));
  }

  /** Source.memberStats: a member's group, assignment, restores and the group's members (last description). */
  memberStats(): SourceMemberStats | undefined {
    const m = this.member;
    if (!m) return undefined;
    const v = this.groupView!;
    const t = m.totals;
    return {
      group: this.group, topic: this.topic, changelogTopic: m.changelog, memberId: this.memberId, generation: m.generation,
      assigned: [...m.assigned],
      restores: { count: t.restores, partitions: t.partitions, bytes: t.bytes, totalMs: t.ms, recent: m.recent.map((r) => ({ ...r, partitions: [...r.partitions] })) },
      members: v.members, membersAt: v.at, membersError: v.error,
    };
  }

  /** Next offset accepted per partition (what a checkpoint records). */
  positions(): KafkaPosition[] {
    return this.offsets.positions();
  }

  /** Source.position for checkpoints. */
  position(): KafkaPosition[] {
    return this.positions();
  }

  /** The checkpoint that recorded `position` is complete: commit exactly those offsets. */
  async commitCheckpoint(position: unknown): Promise<void> {
    await this.commit(position as KafkaPosition[]);
  }

  /** Kafka partitions paused right now by backpressure. */
  pausedPartitions(): { topic: string; partition: number }[] {
    try {
      return this.consumer.paused().flatMap(({ topic, partitions }) => partitions.map((partition) => ({ topic, partition })));
    } catch {
      return [];
    }
  }

  /**
   * Source.watermark: the minimum over assigned, non-idle Kafka partitions of
   * their largest event time − bound (-Infinity while one has no record yet).
   */
  watermark(): number {
    return this.partitionProgress.watermark();
  }

  async run(ctx?: SourceContext): Promise<void> {
    this.ctx = ctx;
    this.started = true;
    const failed = new Promise<never>((_, reject) => { this.fatal = reject; });
    failed.catch(() => {});
    const timer = setInterval(() => { if (!this.checkpointed) void this.commit().catch(() => {}); }, COMMIT_INTERVAL_MS);
    timer.unref();
    this.groupView?.start();
    try {
      await Promise.race([this.runConsumer(), failed]);
      await Promise.race([this.stopSignal, failed]);
    } catch (e) {
      if (e instanceof SabreError) throw e;
      throw new SabreError('ERR_SOURCE', `${this.name}: ${errorText(e)}`, { cause: e });
    } finally {
      clearInterval(timer);
      this.groupView?.stop();
      this.stopping = true;
      await this.close();
    }
  }

  stop(): void {
    if (this.stopping) return;
    this.stopping = true;
    this.resolveStop();
    // Stopped before run() (the engine failed to start): nothing to commit, just leave.
    if (!this.started) void this.consumer.disconnect().catch(() => {}).finally(() => this.resolveClosed());
  }

  /**
   * Commit the accepted positions not committed yet, or `positions` (e.g. the
   * ones a checkpoint recorded, once it is complete): OffsetCommitter.commit.
   */
  commit(positions?: KafkaPosition[]): Promise<void> {
    return this.committer.commit(positions);
  }

  /** Source.stillMember: the coordinator still lists this member, asked right before its commit (undecided: false, the commit waits). */
  async stillMember(): Promise<boolean> {
    if (!this.member) return true;
    try {
      const d = await this.consumer.describeGroup();
      // Listed is enough: while the group rebalances it waits for this member's re-join (which waits for the commit).
      return this.memberId !== null && d.members.some((m) => m.memberId === this.memberId);
    } catch {
      return false;
    }
  }

  /** Source.leaveAfter: a member stays in the group (its partitions assigned to it) until the run's last commit settled. */
  leaveAfter(committed: Promise<unknown>): void {
    if (this.member) this.lastCommit = committed;
  }

  private async close(): Promise<void> {
    try {
      await this.batchDone;
      this.leaveRejoinHook?.();
    // Bounded like a commit: a member that cannot commit leaves anyway (whoever comes next restores the commit before).
      await Promise.race([this.lastCommit.catch(() => {}), delay(LEAVE_WAIT_MS, undefined, { ref: false })]);
      const finish = (async () => {
        if (!this.checkpointed) await this.commit().catch(() => {});
        await this.consumer.disconnect();
      })();
      await Promise.race([finish.catch((e: unknown) => {
        process.stderr.write(`[sabre kafka] WARN ${this.name}: disconnect: ${errorText(e)}\n`);
      }), delay(CLOSE_TIMEOUT_MS, undefined, { ref: false })]);
    } finally {
      this.resolveClosed();
    }
  }

  private runConsumer(): Promise<void> {
    return this.consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: 1,
      eachBatch: (p) => this.onBatch(p),
    });
  }

  private onBatch(p: EachBatchPayload): Promise<void> {
    const run = this.eachBatch(p);
    this.batchDone = run.catch(() => {});
    return run;
  }

  private async eachBatch(p: EachBatchPayload): Promise<void> {
    if (this.stopping) return;
    const { batch } = p;
    const topic = batch.topic;
    const partition = batch.partition;
    const msgs = batch.messages;
    const n = msgs.length;
    if (this.member && !(await this.memberReady(p, partition, msgs[0]?.offset))) return;
    // A member's records must stay in their Kafka partition's ring (PartitionedWriter.inputPartition); unset across awaits.
    const inputPartition = this.member ? partition : -1;
    this.port.expectPartition(inputPartition);
    this.reader.beginBatch(topic, partition, wallNow());
    let i = 0;
    // The index of the last message accepted (-1: none yet); its offset string is made only to resolve it.
    let last = -1;
    // Re-read after a rebalance or runner restart: skip what this run already accepted.
    const accepted = this.offsets.next(topic, partition);
    if (accepted !== undefined) {
      while (i < n && BigInt(msgs[i]!.offset) < accepted) i++;
      this.duplicates += i;
      last = i - 1;
    }
    let beat = performance.now();
    const io = this.port.io;
    const times = this.partitionProgress.times;
    times[0] = -Infinity;
    for (; i < n; i++) {
      if (this.stopping) break;
      const m = msgs[i]!;
      this.messages++;
      let r = this.reader.read(m);
      while (r >= 0) {
        // Ring r is full. Make what we accepted visible to kafkajs (and its event time to the engine) before waiting.
        if (last >= 0) this.resolve(p, topic, partition, msgs[last]!.offset);
        this.progress(partition, false);
        this.port.expectPartition(-1);
        const space = await this.waitForRing(p, topic, partition, r);
        this.port.expectPartition(inputPartition);
        if (!space) break;
        r = this.reader.read(m);
      }
      if (r >= 0) break; // stopping: this message was not accepted
      // A record in a ring (not a dead letter): its event time counts for this partition's progress.
      if (r === INGEST_OK && io[IO_TIME]! > times[0]!) times[0] = io[IO_TIME]!;
      last = i;
      if ((i & 4095) === 4095 && performance.now() - beat > KAFKA_DEFAULTS.heartbeatInterval) {
        this.port.publish();
        this.resolve(p, topic, partition, m.offset);
        this.progress(partition, false);
        this.port.expectPartition(-1);
        await this.heartbeat(p);
        this.port.expectPartition(inputPartition);
        beat = performance.now();
      }
    }
    this.port.expectPartition(-1);
    this.port.publish();
    if (last >= 0) this.resolve(p, topic, partition, msgs[last]!.offset);
    // Caught up: this batch reached the partition's end as the broker saw it (only then may it turn idle).
    this.progress(partition, !this.stopping && i === n && n > 0 && batch.offsetLag() === '0');
  }

  /**
   * Fold the current batch's event times (records already published) into
   * its partition's progress and hand the source's watermark to the engine,
   * which sends it to every ring behind those records.
   */
  private progress(partition: number, caughtUp: boolean): void {
    this.partitionProgress.fold(partition, caughtUp);
    // A member's partitions are the engine's, one each: each gets its own progress, never the minimum.
    if (this.member) this.ctx?.partitionWatermark?.(partition, this.partitionProgress.of(partition));
    else this.ctx?.watermark?.(this.watermark());
  }

  /**
   * A member reads nothing before the newest assignment is restored
   * (heartbeating meanwhile, so a long restore is not a lost member). The
   * first batch of a restored partition must start at or before the offset
   * stored with its state (earlier records are skipped as duplicates): the
   * group's committed offset is the same one, committed in the same
   * transaction, unless that transaction was still settling when kafkajs
   * fetched it; then the partition is sought there and the batch dropped.
   */
  private async memberReady(p: EachBatchPayload, partition: number, first: string | undefined): Promise<boolean> {
    const member = this.member!;
    let failed = false;
    for (let ready = false; !ready;) {
      const tick = new AbortController();
      // A restore that failed has failed the run already (joinAsMember).
      const done = member.whenReady().then(() => { ready = true; }, () => { ready = true; failed = true; });
      await Promise.race([done, this.stopSignal, delay(KAFKA_DEFAULTS.heartbeatInterval, undefined, { signal: tick.signal }).catch(() => {})]);
      tick.abort();
      if (this.stopping || failed) return false;
      if (!ready) await this.heartbeat(p);
    }
    const want = member.expected.get(partition);
    if (want === undefined || first === undefined) return true;
    member.expected.delete(partition);
    if (BigInt(first) <= want) return true;
    this.consumer.seek({ topic: this.topic, partition, offset: want.toString() });
    return false;
  }

  private resolve(p: EachBatchPayload, topic: string, partition: number, last: string): void {
    p.resolveOffset(last);
    this.offsets.accept(topic, partition, last);
    this.soleMember.readHere.add(partition);
  }

  /**
   * Pause this Kafka partition until ring `ring` has room; false when the
   * source is stopping instead. Heartbeats while waiting; a rebalance found
   * by the heartbeat commits what was accepted and aborts the batch (kafkajs
   * then re-joins and re-reads the rest).
   */
  private async waitForRing(p: EachBatchPayload, topic: string, partition: number, ring: number): Promise<boolean> {
    const tp = [{ topic, partitions: [partition] }];
    this.consumer.pause(tp);
    this.kafkaPauses++;
    this.partitionProgress.waitBegins();
    try {
      let ready = false;
      const space = this.port.waitForSpace(ring).finally(() => { ready = true; });
      space.catch(() => {});
      while (!ready && !this.stopping) {
        const tick = new AbortController();
        await Promise.race([space.catch(() => {}), this.stopSignal, delay(KAFKA_DEFAULTS.heartbeatInterval, undefined, { signal: tick.signal }).catch(() => {})]);
        tick.abort();
        if (!ready && !this.stopping) await this.heartbeat(p);
      }
      if (this.stopping) return false;
      await space; // rejects if the engine failed
      return true;
    } catch (e) {
      if (this.stopping) return false;
      throw e;
    } finally {
      this.partitionProgress.waitEnds();
      try {
        this.consumer.resume(tp);
      } catch { /* the consumer is restarting: it starts unpaused */ }
    }
  }

  private async heartbeat(p: EachBatchPayload): Promise<void> {
    try {
      await p.heartbeat();
    } catch (e) {
      // A member commits in its re-join's hook, which kafkajs runs next.
      if (isRebalancing(e) && !this.member && !this.checkpointed) await this.commit().catch(() => {});
      throw e;
    }
  }
}

/** Plugin entry (src/io/plugins.ts): `--source kafka:TOPIC --brokers … --group … --format json|flatbuffers`. */
