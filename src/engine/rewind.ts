// The main thread's half of Engine.rewind(): replace every partition's state
// in-band while the run goes on. Workers do their half in workers/worker-loop.ts.
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { SabreError } from '../errors.js';
import { rewindFilePath, writeRewindFile } from '../checkpoint/rewind-file.js';
import type { PartitionedWriter } from '../partition/partitioned-writer.js';
import { wallNow } from '../time/wall-clock.js';
import type { OutDrain } from './out-drain.js';

/** What rewinds did so far (for stats and the dashboard). */
export interface RewindStats {
  /** Rewinds completed. */
  rewinds: number;
  /** The last one's duration, rewind() called → every worker acknowledged (ms). */
  lastRewindMs: number;
  /** Results and job outputs of undone work dropped before any sink saw them. */
  rewoundResults: number;
}

export interface RewindWiring {
  writer: PartitionedWriter;
  drain: OutDrain;
  /** Workers that own a partition (a worker without one ended at start and never acknowledges). */
  workers: readonly number[];
  /** Fail the checkpoint in flight that still waits for acks (they will be dropped), so the next can start. */
  abandonCheckpoint: () => void;
  /** The main thread forgets what it derived from the records written so far (watermarks for idle partitions). */
  forget: () => void;
}

/**
 * A rewind, step by step: the snapshot files are listed in rewind-<n>.json;
 * from then on the out-drain drops every frame of every worker until that
 * worker's REWIND_ACK(n); REWIND(n) goes into every ring (after everything
 * written so far, and after or before a checkpoint's barriers, never between
 * them); each worker, once all its rings delivered it, loads the files into
 * a fresh operator chain and acknowledges. One rewind at a time.
 */
export class Rewinder {
  private n = 0;
  private count = 0;
  private lastMs = 0;
  private pending: { reject: (e: unknown) => void } | undefined;
  private failure: unknown;

  /** `dir`: where the file lists go (every worker was given it); `own`: a temporary dir this removes at close(). */
  constructor(readonly dir: string, private readonly own: boolean, private readonly x: RewindWiring) {}

  /** The checkpoint dir, or else a per-engine temporary one (created at the first rewind). */
  static dirFor(checkpointDir: string | undefined): { dir: string; own: boolean } {
    if (checkpointDir !== undefined) return { dir: checkpointDir, own: false };
    return { dir: join(tmpdir(), `sabre-rewind-${process.pid}-${randomBytes(6).toString('hex')}`), own: true };
  }

  get stats(): RewindStats {
    return { rewinds: this.count, lastRewindMs: this.lastMs, rewoundResults: this.x.drain.rewoundResults };
  }

  async rewind(files: readonly string[], epoch: number): Promise<void> {
    if (this.failure !== undefined) throw this.failure;
    if (this.pending) throw new SabreError('ERR_ENGINE_STATE', 'rewind() while another rewind is under way; await it first');
    if (!Number.isInteger(epoch) || epoch < 1) throw new SabreError('ERR_INVALID_OPTION', `rewind(): epoch must be an integer ≥ 1, not ${epoch}`);
    // A file that is not there would fail a worker, and with it the run: refuse it while nothing has changed.
    const paths = files.map((f) => resolve(f));
    const missing = paths.filter((f) => !existsSync(f));
    if (missing.length > 0) throw new SabreError('ERR_INVALID_OPTION', `rewind(): no such snapshot file: ${missing.join(', ')}`);
    const t0 = wallNow();
    this.x.abandonCheckpoint();
    const n = ++this.n;
    mkdirSync(this.dir, { recursive: true });
    writeRewindFile(this.dir, n, paths);
    const acked = new Promise<void>((done, reject) => {
      this.pending = { reject };
      // Synchronously, before any await: whatever the workers produced up to their ack is dropped from here on.
      this.x.drain.beginRewind(n, epoch, this.x.workers, done);
    });
    acked.catch(() => {}); // a failed run rejects it; it is awaited only once the frames are out
    this.x.forget();
    try {
      await this.x.writer.writeRewindAll(n);
      await acked;
    } finally {
      this.pending = undefined;
      rmSync(rewindFilePath(this.dir, n), { force: true });
    }
    this.count++;
    this.lastMs = wallNow() - t0;
  }

  /** The run failed: a rewind under way never completes. */
  fail(e: unknown): void {
    this.failure ??= e;
    this.pending?.reject(e);
  }

  close(): void {
    if (this.own) rmSync(this.dir, { recursive: true, force: true });
  }
}
