import type { RawOptions } from '../options.js';
import type { SourceStats } from '../metrics/stats-snapshot.js';
import type { CheckpointStats } from '../checkpoint/checkpointer.js';
import type { WorkerSummary } from './worker-contract.js';
import type { LoadedJob } from '../job/plan.js';

export type { SourceStats } from '../metrics/stats-snapshot.js';

/** Options for createEngine: every CLI option (camelCase) plus library-only ones. */
export interface EngineOptions extends Omit<RawOptions, 'job'> {
  /**
   * A loaded job module (--job; loadJob in src/engine/load-job.ts): its pipeline replaces the built-in
   * window aggregate, and its source, sinks and time settings apply unless given here (src/options/job-options.ts).
   */
  job?: LoadedJob;
  /** Tests only: make every worker busy-wait this long per record. */
  slowMicrosPerRecord?: number;
  /** Tests only: bind the HTTP server to this port (0 = an ephemeral one) instead of --http-port. */
  httpListenPort?: number;
  /**
   * The workers' execArgv (default: the process's). Node 20 refuses V8 heap flags here
   * (ERR_WORKER_INVALID_EXEC_ARGV); the young generation per worker is --worker-young-generation.
   */
  workerExecArgv?: string[];
}

export interface RunSummary {
  recordsIn: number;
  recordsProcessed: number;
  results: number;
  late: number;
  deadLetter: number;
  elapsedMs: number;
  workers: WorkerSummary[];
  sources: SourceStats[];
  /** Piscina threads created/destroyed over the run: W and 0 when nothing was recycled. */
  threadsCreated: number;
  threadsDestroyed: number;
  /** With --checkpoint-dir: checkpoints completed, and the one this run restored from. */
  checkpoints?: CheckpointStats & { restoredFrom: number | undefined };
}

/** How stop() ends the run. */
export interface StopOptions {
  /**
   * true: take a final checkpoint and stop without firing open windows (they
   * live on in the checkpoint and fire after a restore). false: END — every
   * open window fires. Default: END.
   */
  checkpoint?: boolean;
}
