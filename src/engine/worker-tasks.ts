import type { ResolvedOptions } from '../options.js';
import { SabreError, type ErrorCode } from '../errors.js';
import { W_LOOP_WALL, type Counters } from '../metrics/counters.js';
import type { WorkerTask } from './worker-contract.js';
import type { Topology } from './topology.js';

export interface WorkerSetup {
  o: ResolvedOptions;
  topology: Topology;
  counters: Counters;
  spin: number;
  /** False when a source drives watermarks (the engine sends them; workers do not derive them from records). */
  watermarkFromRecords: boolean;
  aggregateModule: string | undefined;
  slowMicrosPerRecord: number | undefined;
  restoreFiles: string[] | undefined;
  /** Where a rewind's file list goes (src/engine/rewind.ts). */
  rewindDir: string;
  /** A job run: the module every worker imports, and what a throwing job function does. */
  job: WorkerTask['job'];
}

/** One long-lived task per worker: its partitions' rings, its out-ring and doorbell, the job's window and time settings. */
export function workerTasks(s: WorkerSetup): WorkerTask[] {
  const { o, topology: t } = s;
  const tickMs = Math.max(1, Math.min(100, o.earlyFire > 0 ? o.earlyFire : 100));
  return Array.from({ length: o.workers }, (_, w) => {
    const partitions = t.partitioner.partitionsOfWorker(w);
    return {
      worker: w, partitions,
      rings: partitions.map((p) => t.rings[p]!.handle), out: t.outRings[w]!.handle,
      bell: t.workerBells[w]!.sab, counters: s.counters.sab,
      counterLayout: { partitions: o.partitions, workers: o.workers, stages: s.counters.stages },
      window: o.window, outOfOrderness: o.outOfOrderness, allowedLateness: o.allowedLateness,
      watermarkFromRecords: s.watermarkFromRecords, earlyFire: o.earlyFire, spin: s.spin, maxBatch: o.maxBatch, tickMs,
      aggregateModule: s.aggregateModule, slowMicrosPerRecord: s.slowMicrosPerRecord,
      keyGroups: o.keyGroups, totalPartitions: o.partitions, metrics: o.metrics,
      checkpointDir: o.checkpointDir, snapshotPerPartition: o.changelog !== undefined, restoreFiles: s.restoreFiles, rewindDir: s.rewindDir, job: s.job,
    };
  });
}

/** Resolves once every worker is looping (its W_LOOP_WALL counter moved), or the run stopped meanwhile; 30 s at most. */
export async function workersLooping(counters: Counters, workers: number, running: () => boolean): Promise<void> {
  const deadline = performance.now() + 30_000;
  for (;;) {
    let ready = 0;
    for (let w = 0; w < workers; w++) if (counters.worker(w, W_LOOP_WALL) > 0) ready++;
    if (ready === workers || !running()) return;
    if (performance.now() > deadline) {
      throw new SabreError('ERR_WORKER_CRASHED', `only ${ready} of ${workers} workers started within 30 s`);
    }
    await new Promise((r) => setTimeout(r, 1));
  }
}

/**
 * A worker's failure as the run's error: ERR_WORKER_CRASHED, whose cause is
 * a SabreError with the worker's own code when it failed with one (e.g.
 * ERR_RESULT_TOO_LARGE; workers/partition-worker.ts carries the code across);
 * ERR_USER_FUNCTION itself.
 */
export function workerError(w: number, e: unknown): SabreError {
  const message = (e as Error)?.message ?? String(e);
  const code = ((e as Error)?.cause as { code?: unknown } | undefined)?.code;
  // A job function that threw (--on-user-error fail) is the run's error as it is: restoring would only meet it again.
  if (code === 'ERR_USER_FUNCTION') return new SabreError('ERR_USER_FUNCTION', message, { cause: e });
  const cause = typeof code === 'string' && code.startsWith('ERR_') ? new SabreError(code as ErrorCode, message, { cause: e }) : e;
  return new SabreError('ERR_WORKER_CRASHED', `worker ${w} failed: ${cause instanceof SabreError ? `${cause.code}: ` : ''}${message}`, { cause });
}
