import { SabreError } from '../errors.js';
import { W_BARRIER_ALIGN_MS, W_BARRIER_ID, W_SNAPSHOT_SERIALIZE_MS, W_SNAPSHOT_WRITE_MS, type Counters } from '../metrics/counters.js';
import type { PartitionedWriter } from '../partition/partitioned-writer.js';
import { checkpointPath, pruneCheckpoints, writeManifest, type Manifest } from './manifest.js';
import { mkdirDurably } from './durable-file.js';
import { snapshotFileName } from './snapshot-writer.js';
import { statSync } from 'node:fs';
import { join } from 'node:path';

export interface CheckpointerOptions {
  dir: string;
  retained: number;
  job: string;
  keyGroups: number;
  partitions: number;
  workers: number;
  /** The first id to use (restored id + 1, or 1). */
  nextId: number;
  /** Where workers leave their pause of each checkpoint (W_BARRIER_*, W_SNAPSHOT_*); without it, stats have none. */
  counters?: Counters;
  /** Workers write one snapshot file per partition (--changelog), not one each. */
  perPartition?: boolean;
}

/** One worker's part of a checkpoint (ms): how long its partitions could not be read. */
export interface WorkerPause {
  /** Its first ring delivered the barrier → its last did (the early rings are not read meanwhile). */
  alignMs: number;
  /** Serialising its state; the worker loop does nothing else. */
  serializeMs: number;
  /** Writing and fsyncing the snapshot file; likewise. */
  writeMs: number;
}

/** What one completed checkpoint cost. */
export interface CheckpointTiming {
  id: number;
  /** Sources held on the main thread: positions recorded and BARRIER written into every ring. */
  holdMs: number;
  /** Barriers written → every ack read and the manifest durable. */
  durationMs: number;
  bytes: number;
  /** Per worker; empty without `counters`. */
  workers: WorkerPause[];
}

export interface CheckpointStats {
  completed: number;
  lastId: number;
  lastDurationMs: number;
  lastBytes: number;
  maxDurationMs: number;
  /** Longest source hold and longest worker pause (serialise + write) of any checkpoint so far, ms. */
  maxHoldMs: number;
  maxWorkerPauseMs: number;
  /** The newest RECENT_TIMINGS checkpoints, oldest first. */
  recent: CheckpointTiming[];
}

const RECENT_TIMINGS = 256;

interface InFlight {
  id: number;
  startedAt: number;
  positions: { name: string; position: unknown }[];
  acked: Set<number>;
  bytes: number[];
  holdMs: number;
  pauses: WorkerPause[];
  resolve: (m: Manifest) => void;
  reject: (e: unknown) => void;
  /** A rewind replaced the state it was taking (abandon): it writes no manifest and commits nothing. */
  abandoned?: boolean;
}

/** How a checkpoint abandoned for a rewind rejects: not a failure of the run (the timer says nothing of it). */
export class CheckpointAbandoned extends SabreError {
  constructor(id: number, why: string) {
    super('ERR_CHECKPOINT', `checkpoint ${id} abandoned: ${why}`);
  }
}

/** What a checkpoint reads of a source (io/sources/source.ts's Source has it): its name and, if it can resume, its position. */
export interface PositionedSource {
  readonly name: string;
  /** Where the source is: recorded in checkpoints (JSON), handed back to resume after a restore. */
  position?(): unknown;
}

/**
 * The main thread's half of a checkpoint: hold the sources, record their
 * positions, put BARRIER(id) into every ring, release the sources; then
 * collect every worker's acknowledgement (read from the out-rings, after the
 * results that precede the barrier); run the `beforeManifest` hooks, which
 * make those results durable in the sinks (a sink that cannot fails the
 * checkpoint: it never claims output that did not reach its target); and
 * write the manifest atomically. After that, `onComplete` hooks run: the
 * file sink renames its parts, the transactional Kafka sink commits its
 * transaction, a Kafka source commits its offsets. One checkpoint at a time, hooks included: the next one starts
 * only after they ran, so at most one complete checkpoint is ever
 * uncommitted downstream, and the one before it is never pruned while it is.
 */
export class Checkpointer {
  private nextId: number;
  private inFlight: InFlight | undefined;
  /** Every result before checkpoint `id`'s barrier reaches its sink (flushed, fsynced): the manifest is written only after these resolved. */
  readonly beforeManifest: ((id: number) => Promise<void> | void)[] = [];
  readonly onComplete: ((m: Manifest) => Promise<void> | void)[] = [];
  /** Set by abort(): the run failed, and no checkpoint may complete after that. */
  private aborted: { error: unknown } | undefined;
  /** A checkpoint whose barriers went out failed (manifest or hook): its epoch's results belong to the next one. */
  readonly onFailed: ((id: number, e: unknown) => void)[] = [];
  readonly stats: CheckpointStats = {
    completed: 0, lastId: 0, lastDurationMs: 0, lastBytes: 0, maxDurationMs: 0, maxHoldMs: 0, maxWorkerPauseMs: 0, recent: [],
  };

  constructor(private readonly o: CheckpointerOptions, private readonly writer: PartitionedWriter,
    private readonly sources: () => readonly PositionedSource[]) {
    this.nextId = o.nextId;
  }

  get busy(): boolean {
    return this.inFlight !== undefined;
  }

  /** No checkpoint is taken while suspended (--changelog: a rebalance, until the engine has rewound). */
  suspended = false;

  /** Resolves when no checkpoint is in flight (its outcome is reported elsewhere). */
  async idle(): Promise<void> {
    while (this.inFlight) {
      const f = this.inFlight;
      await new Promise<void>((resolve) => {
        const t = setInterval(() => { if (this.inFlight !== f) { clearInterval(t); resolve(); } }, 5);
      });
    }
  }

  /** Start a checkpoint; resolves with its manifest once complete. */
  async trigger(): Promise<Manifest> {
    this.throwIfAborted();
    if (this.inFlight) throw new SabreError('ERR_CHECKPOINT', `checkpoint ${this.inFlight.id} is still in progress`);
    const id = this.nextId++;
    mkdirDurably(checkpointPath(this.o.dir, id));
    let f!: InFlight;
    const done = new Promise<Manifest>((resolve, reject) => {
      f = { id, startedAt: performance.now(), positions: [], acked: new Set(), bytes: [], holdMs: 0, pauses: [], resolve, reject };
      this.inFlight = f;
    });
    // Nothing may be written between recording positions and the last barrier: hold the sources.
    const held = performance.now();
    this.writer.hold();
    try {
      f.positions = this.sources().filter((s) => s.position).map((s) => ({ name: s.name, position: s.position!() }));
      await this.writer.writeBarrierAll(id);
    } finally {
      this.writer.release();
      f.holdMs = performance.now() - held;
    }
    return done;
  }

  /** A worker's BARRIER_ACK, read by the out-drain after that worker's earlier results. */
  onAck(worker: number, id: number, bytes: number): void {
    const f = this.inFlight;
    if (!f || f.id !== id) return;
    f.acked.add(worker);
    f.bytes[worker] = bytes;
    const c = this.o.counters;
    if (c && c.worker(worker, W_BARRIER_ID) === id) {
      f.pauses[worker] = {
        alignMs: c.worker(worker, W_BARRIER_ALIGN_MS), serializeMs: c.worker(worker, W_SNAPSHOT_SERIALIZE_MS), writeMs: c.worker(worker, W_SNAPSHOT_WRITE_MS),
      };
    }
    if (f.acked.size === this.o.workers) void this.complete(f);
  }

  private throwIfAborted(): void {
    if (this.aborted) throw this.aborted.error;
  }

  /** The run failed (a worker, a sink): the checkpoint in flight can never complete, nor can any later one. */
  abort(e: unknown): void {
    this.aborted ??= { error: e };
    const f = this.inFlight;
    this.inFlight = undefined;
    f?.reject(e);
  }

  /**
   * A rewind (Engine.rewind) replaced the state the checkpoint in flight is
   * taking: its acknowledgements are dropped, so it can never complete. It
   * fails now, as a checkpoint failing after its barriers went out does (its
   * epoch's results go with the next one), and the next can start. One whose
   * acknowledgements are all in is left to complete: it holds only state from
   * before the rewind, as it should. Returns the id abandoned, if any.
   */
  abandon(why: string): number | undefined {
    const f = this.inFlight;
    if (!f || f.acked.size === this.o.workers) return undefined;
    this.inFlight = undefined;
    f.abandoned = true;
    const e = new CheckpointAbandoned(f.id, why);
    for (const hook of this.onFailed) hook(f.id, e);
    f.reject(e);
    return f.id;
  }

  /** The id the next checkpoint takes: its epoch's results are those after the last checkpoint begun. */
  get nextCheckpointId(): number {
    return this.nextId;
  }

  /**
   * An epoch past every one the results of work about to be undone can carry
   * (up to nextCheckpointId: results after a barrier in flight), which the
   * next checkpoint takes as its id: a rewind's results, and only those, are
   * of this epoch or later.
   */
  skipEpoch(): number {
    return ++this.nextId;
  }

  private async complete(f: InFlight): Promise<void> {
    try {
      for (const hook of this.beforeManifest) await hook(f.id);
      // The run may have failed while the sinks flushed (a sink error elsewhere, a worker crash): then nothing completes.
      this.throwIfAborted();
      if (f.abandoned) return;
      const durationMs = performance.now() - f.startedAt;
      const manifest: Manifest = {
        format: 'sabre-checkpoint', version: 1, id: f.id, completedAt: new Date().toISOString(), durationMs,
        job: this.o.job, keyGroups: this.o.keyGroups, partitions: this.o.partitions, workers: this.o.workers,
        sources: f.positions,
        snapshots: this.o.perPartition ? partitionFiles(checkpointPath(this.o.dir, f.id), this.o.partitions)
          : f.bytes.map((bytes, w) => ({ file: snapshotFileName({ worker: w }), bytes })),
        final: false,
      };
      writeManifest(this.o.dir, manifest);
      const st = this.stats;
      st.completed++;
      st.lastId = f.id;
      st.lastDurationMs = durationMs;
      st.lastBytes = f.bytes.reduce((a, b) => a + b, 0);
      st.maxDurationMs = Math.max(st.maxDurationMs, durationMs);
      st.maxHoldMs = Math.max(st.maxHoldMs, f.holdMs);
      for (const p of f.pauses) if (p) st.maxWorkerPauseMs = Math.max(st.maxWorkerPauseMs, p.serializeMs + p.writeMs);
      st.recent.push({ id: f.id, holdMs: f.holdMs, durationMs, bytes: st.lastBytes, workers: f.pauses.filter(Boolean) });
      if (st.recent.length > RECENT_TIMINGS) st.recent.shift();
      for (const hook of this.onComplete) {
        if (f.abandoned) return;
        await hook(manifest);
      }
      pruneCheckpoints(this.o.dir, this.o.retained);
      if (this.inFlight === f) this.inFlight = undefined;
      f.resolve(manifest);
    } catch (e) {
      if (this.inFlight === f) this.inFlight = undefined;
      if (f.abandoned) return;
      for (const hook of this.onFailed) hook(f.id, e);
      f.reject(e);
    }
  }

  /** The input ended and END fired everything: a manifest with no state, so a restart has nothing to redo. */
  async finalCheckpoint(): Promise<Manifest> {
    this.throwIfAborted();
    const id = this.nextId++;
    const manifest: Manifest = {
      format: 'sabre-checkpoint', version: 1, id, completedAt: new Date().toISOString(), durationMs: 0,
      job: this.o.job, keyGroups: this.o.keyGroups, partitions: this.o.partitions, workers: this.o.workers,
      sources: this.sources().filter((s) => s.position).map((s) => ({ name: s.name, position: s.position!() })),
      snapshots: [], final: true,
    };
    for (const hook of this.beforeManifest) await hook(id);
    this.throwIfAborted();
    mkdirDurably(checkpointPath(this.o.dir, id));
    writeManifest(this.o.dir, manifest);
    for (const hook of this.onComplete) await hook(manifest);
    pruneCheckpoints(this.o.dir, this.o.retained);
    return manifest;
  }
}

/** A per-partition checkpoint's files (every partition has one, written before its worker acknowledged). */
function partitionFiles(dir: string, partitions: number): { file: string; bytes: number }[] {
  const out: { file: string; bytes: number }[] = [];
  for (let p = 0; p < partitions; p++) {
    const file = snapshotFileName({ partition: p });
    out.push({ file, bytes: statSync(join(dir, file)).size });
  }
  return out;
}
