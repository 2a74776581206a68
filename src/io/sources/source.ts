import type { PartitionedWriter } from '../../partition/partitioned-writer.js';
import type { RecordFault } from '../../errors.js';
import type { MemberStats } from '../../metrics/stats-snapshot.js';

/**
 * The checkpoint a member committed before it re-joined (SourceContext.revoking):
 * its partition snapshot files, and every source's position it committed with them.
 * The partitions the member keeps need no restore from Kafka: this is their state.
 */
export interface Handover {
  files: readonly string[];
  sources: readonly { name: string; position: unknown }[];
}

/** What a source may do to the engine. */
export interface SourceContext {
  writer: PartitionedWriter;
  /** Reject one piece of input: it goes to the dead-letter output with its reason and is counted. */
  deadLetter(raw: string, fault: RecordFault, detail: string, where: string): void;
  /**
   * For a source with watermark(): its watermark rose to `t`. Every partition
   * is sent it, in-band after the records written so far (never a lower one).
   */
  watermark?(t: number): void;
  /**
   * For a source whose inputs are the engine's partitions, one each (Kafka
   * partitions under --changelog): partition `p`'s watermark rose to `t`.
   * Only that partition is sent it: no input holds another back, so a
   * partition's results never depend on how fast the others are read.
   */
  partitionWatermark?(p: number, t: number): void;
  /**
   * Scale-out (--changelog): the source's inputs are being taken away (a
   * consumer group rebalance began). Nothing uncommitted may commit any more:
   * the partitions may be another member's by now.
   */
  revoked?(): void;
  /**
   * Scale-out: the group is rebalancing and this member is about to re-join
   * (its partitions handed out again once it has): commit what it did with
   * them now — a checkpoint, within `budgetMs` — then nothing more commits
   * (as revoked()). Whoever gets a partition restores that commit.
   */
  revoking?(budgetMs: number): Promise<Handover | undefined>;
  /**
   * Scale-out: the source was assigned its inputs anew. First the engine
   * drops everything it did since its last commit (its open transaction is
   * aborted, so that nobody, this member included, waits behind it to read
   * the committed state); resolves with the epoch to rewind to.
   */
  abandoned?(): Promise<number>;
  /**
   * Then, the assigned partitions' committed state read into `files`
   * (snapshot files), the engine loads it in place of all its state;
   * resolves once it has.
   */
  rewound?(files: readonly string[], epoch: number): Promise<void>;
}

/**
 * A source runs until its input ends (finite sources) or stop() is called.
 * It never drops: when a ring is full it stops reading and awaits
 * writer.waitForSpace(), counting the pause.
 */
export interface Source {
  readonly name: string;
  records: number;
  pauses: number;
  pausedMs: number;
  /** How it reads its input, when there is a choice worth showing (the Kafka source: which record batch decoder). */
  readonly readsWith?: string;
  run(ctx: SourceContext): Promise<void>;
  stop(): void;
  /** Where the source is: recorded in checkpoints (JSON), handed back to resume after a restore. */
  position?(): unknown;
  /** The checkpoint that recorded `position` is complete (e.g. commit Kafka offsets now, not before). */
  commitCheckpoint?(position: unknown): Promise<void>;
  /**
   * A source with several ordered inputs (Kafka partitions) keeps event time
   * per input (src/time/input-watermarks.ts) and says here what its watermark
   * is now: the minimum over its non-idle inputs of their largest event time
   * minus the bound (-Infinity: none yet). Having it switches the engine to
   * source-driven watermarks (DESIGN.md §4): workers no longer derive them
   * from record timestamps, the engine sends this one to every partition.
   */
  watermark?(): number;
  /**
   * Called before stop() when something is still to commit as the run stops
   * (a savepoint, the final checkpoint): a member of a consumer group
   * (--changelog) leaves the group only once `committed` settles, so whoever
   * takes its partitions over restores that commit, not the one before.
   */
  leaveAfter?(committed: Promise<unknown>): void;
  /**
   * A member of a consumer group (--changelog), right before its checkpoint
   * commits: true while the group's coordinator lists it in a stable group.
   * False when it was evicted (a stall past the session timeout: its
   * partitions may be another's, and kafkajs re-joins without reporting a
   * rebalance) or a rebalance is under way: the commit waits for the next.
   */
  stillMember?(): Promise<boolean>;
  /** Settles once the source has released what it holds (after stop()). */
  readonly closed?: Promise<void>;
  /** A member of a scaled-out job (--changelog): its part of the stats' member section (undefined otherwise). */
  memberStats?(): SourceMemberStats | undefined;
}

/** What a scaled-out member's source knows of the stats' member section; the engine adds its rewinds, the sink its transactions. */
export type SourceMemberStats = Pick<MemberStats, 'group' | 'topic' | 'changelogTopic' | 'memberId' | 'generation' | 'assigned' | 'restores'
  | 'members' | 'membersAt' | 'membersError'>;

/** Re-exported for the sources and ingest paths that import it from here. */

/** Await space in a full partition, accounting the pause on the source. */
export async function pauseFor(src: Source, writer: PartitionedWriter, partition: number): Promise<void> {
  src.pauses++;
  const t0 = performance.now();
  await writer.waitForSpace(partition);
  src.pausedMs += performance.now() - t0;
}
