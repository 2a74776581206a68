// A Kafka source as one member of a scaled-out job (--changelog, DESIGN.md §7,
// docs/SCALING.md): each partition of the topic is a unit of state, kept in
// the job's changelog topic; whoever is assigned a partition restores it from
// there before reading a record of it.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SabreError } from '../../../errors.js';
import { snapshotFileName } from '../../../checkpoint/snapshot-writer.js';
import type { SourceContext } from '../../sources/source.js';
import type { MemberRestoreStats } from '../../../metrics/stats-snapshot.js';
import { createAdmin, createKafka } from '../kafka-client.js';
import { readChangelog } from '../changelog/changelog-reader.js';
import type { UnitState } from '../changelog/changelog-record.js';

/** Restores kept for the stats (newest last). */
const RECENT_RESTORES = 32;

export interface MemberSettings {
  topic: string;
  group: string;
  brokers: string;
  changelog: string;
  /** The job's fingerprint (jobFingerprint): a changelog of another job is refused. */
  job: string;
  /** Where restored state is put for the workers to load (the checkpoint directory). */
  dir: string;
  /**
   * How long a restore may wait for the changelog's partitions to settle:
   * past the transaction timeout, after which the broker aborts the open
   * transaction of a member that died.
   */
  restoreTimeoutMs: number;
}

/**
 * A member's own last commit, made just before it re-joined: per partition of
 * its previous assignment, the snapshot file and the next offset. For the
 * partitions it keeps, the newest state there is: read locally, not from Kafka.
 */
export interface KeptState {
  files: ReadonlyMap<number, string>;
  next: ReadonlyMap<number, bigint>;
}

/** One restore: an assignment's partitions loaded (the stats' shape: src/metrics/stats-snapshot.ts). */
export type RestoreFigures = MemberRestoreStats;

/**
 * Every assignment (GROUP_JOIN) — the first one included — is a rewind, the
 * Kafka Streams "eager" protocol: the member throws away what it did since
 * its last commit (its transaction is aborted: nothing of it is visible to
 * read_committed consumers) and loads, for each partition it now owns, the
 * newest committed state from the changelog, then reads each from the
 * offset stored with that state. State, results and offsets of a partition
 * are committed in one transaction (src/io/kafka/changelog/changelog-writer.ts),
 * so whoever restores it continues exactly where the last commit left it.
 *
 * Reading the changelog waits until its partitions settle: a member that
 * was revoked aborts its open transaction at once (fence + rewind), one that
 * died has it aborted by the broker after the transaction timeout. The cost
 * is the work since the last checkpoint, redone; a member keeps no state of
 * a partition across a rebalance (docs/SCALING.md says what that costs).
 */
export class GroupMember {
  generation = 0;
  /** The partitions assigned now, ascending. */
  assigned: number[] = [];
  readonly recent: RestoreFigures[] = [];
  readonly totals = { restores: 0, partitions: 0, bytes: 0, ms: 0 };
  /** The next offset to read per partition as its state was restored (its first batch must start there). */
  readonly expected = new Map<number, bigint>();
  private ready: Promise<void> = Promise.resolve();
  private lastDir: string | undefined;

  constructor(private readonly s: MemberSettings) {}

  /** The changelog topic its partitions' state is restored from. */
  get changelog(): string {
    return this.s.changelog;
  }

  /** Settles once the newest assignment is restored (rejects with what failed it). */
  whenReady(): Promise<void> {
    return this.ready;
  }

  /**
   * GROUP_JOIN: restore `partitions` after any restore under way. `restored`
   * hands the source the offsets to read from (partition → next offset).
   */
  assign(partitions: readonly number[], ctx: SourceContext | undefined, kept: KeptState | undefined,
    restored: (next: Map<number, bigint>) => void): void {
    const generation = ++this.generation;
    const previous = new Set(this.assigned);
    this.assigned = [...partitions].sort((a, b) => a - b);
    // Kept: in the previous assignment and in this one, with the member's own commit in between.
    const keep = kept === undefined ? new Set<number>() : new Set(this.assigned.filter((p) => previous.has(p)));
    ctx?.revoked?.();
    this.ready = this.ready.catch(() => {}).then(() => {
      // A newer assignment came meanwhile: it restores (this one's partitions may be gone already).
      if (generation !== this.generation) return undefined;
      return this.restore(generation, this.assigned, ctx, restored, keep, kept);
    });
    this.ready.catch(() => {}); // observed by whenReady()
  }

  private async restore(generation: number, partitions: number[], ctx: SourceContext | undefined,
    restored: (next: Map<number, bigint>) => void, keep: ReadonlySet<number>, kept: KeptState | undefined): Promise<void> {
    const t0 = performance.now();
    // Our own open transaction may hold changelog records of these partitions: aborted before we read them.
    const epoch = await ctx?.abandoned?.() ?? 1;
    const read = partitions.filter((p) => !keep.has(p));
    const units = read.length > 0
      ? await readChangelog(this.s.brokers, this.s.changelog, read, { timeoutMs: this.s.restoreTimeoutMs })
      : new Map<number, UnitState>();
    await this.checkUnits(read, units);
    const dir = join(this.s.dir, `restore-${process.pid}-${generation}`);
    mkdirSync(dir, { recursive: true });
    const files: string[] = [];
    let bytes = 0;
    const next = new Map<number, bigint>();
    for (const [p, u] of units) {
      if (u.state.length > 0) {
        const file = join(dir, snapshotFileName({ partition: p }));
        writeFileSync(file, u.state);
        files.push(file);
        bytes += u.state.length;
      }
      if (u.sourceOffset !== '') next.set(p, BigInt(u.sourceOffset));
    }
    for (const p of keep) {
      const file = kept!.files.get(p);
      if (file !== undefined) files.push(file);
      const off = kept!.next.get(p);
      if (off !== undefined) next.set(p, off);
    }
    const t1 = performance.now();
    // A newer assignment came while we read: it rewinds (these partitions may be another member's by now).
    if (generation !== this.generation) {
      rmSync(dir, { recursive: true, force: true });
      return;
    }
    await ctx?.rewound?.(files, epoch);
    const t2 = performance.now();
    // The workers have loaded the files: the previous restore's are no longer needed.
    if (this.lastDir !== undefined) rmSync(this.lastDir, { recursive: true, force: true });
    this.lastDir = dir;
    this.expected.clear();
    for (const [p, off] of next) this.expected.set(p, off);
    restored(next);
    const f: RestoreFigures = {
      generation, partitions, withState: [...units.values()].filter((u) => u.state.length > 0).length, kept: keep.size, bytes, readMs: t1 - t0, rewindMs: t2 - t1, at: Date.now(),
    };
    this.recent.push(f);
    if (this.recent.length > RECENT_RESTORES) this.recent.shift();
    const t = this.totals;
    t.restores++;
    t.partitions += partitions.length;
    t.bytes += bytes;
    t.ms += t2 - t0;
    process.stderr.write(`[sabre] member of "${this.s.group}": assignment ${generation}, partitions [${partitions.join(',')}] restored from `
      + `${this.s.changelog}: ${f.withState} with state, ${bytes} bytes in ${Math.round(t2 - t0)} ms`
      + `${keep.size > 0 ? `; ${keep.size} kept from its own commit before re-joining` : ''}\n`);
  }

  /**
   * State of another job is refused; a partition whose offsets the group
   * committed (always with its state, in one transaction) but whose state
   * is missing means the changelog was emptied or replaced: restoring it
   * empty would silently drop its open windows.
   */
  private async checkUnits(partitions: number[], units: Map<number, UnitState>): Promise<void> {
    for (const u of units.values()) {
      if (u.job !== this.s.job) {
        throw new SabreError('ERR_INVALID_OPTION', `changelog "${this.s.changelog}" partition ${u.partition} holds the state of another `
          + `job (${u.job}; this one is ${this.s.job}: the window, aggregates, bounds, key groups, fields or source differ): run with the `
          + 'options it was written with, or give another --changelog and --group');
      }
    }
    const missing = partitions.filter((p) => !units.has(p));
    if (missing.length === 0) return;
    const committed = await committedOffsets(this.s.brokers, this.s.group, this.s.topic);
    const lost = missing.filter((p) => (committed.get(p) ?? -1) >= 0);
    if (lost.length > 0) {
      throw new SabreError('ERR_CHANGELOG_CORRUPT', `changelog "${this.s.changelog}" has no state for partition(s) ${lost.join(', ')}, `
        + `but group "${this.s.group}" committed offsets for them (state and offsets commit together): the topic was emptied or replaced. `
        + 'Restore it, or start the job afresh on purpose (a new --group and a new sink topic)');
    }
  }
}

/** The group's committed offset per partition of `topic` (-1: none). */
export async function committedOffsets(brokers: string, group: string, topic: string): Promise<Map<number, number>> {
  const admin = createAdmin(createKafka(brokers));
  await admin.connect();
  try {
    const [t] = await admin.fetchOffsets({ groupId: group, topics: [topic] });
    return new Map((t?.partitions ?? []).map((p) => [p.partition, Number(p.offset)]));
  } finally {
    await admin.disconnect().catch(() => {});
  }
}
