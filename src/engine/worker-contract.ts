// The contract between the main thread and a worker: the task the engine
// posts once per worker (src/engine/worker-tasks.ts through src/engine/worker-pool.ts) and the
// summary the worker's loop returns at END (workers/worker-loop.ts).
import type { RingHandle } from '../ring/ring-buffer.js';
import type { WindowSpec } from '../time/window-spec.js';
import type { FieldsDecl } from '../job/fields.js';
import type { CounterLayout } from '../metrics/counters.js';

/** Everything a worker needs, posted once as its Piscina task. */
export interface WorkerTask {
  worker: number;
  partitions: number[];
  rings: RingHandle[];
  out: RingHandle;
  bell: SharedArrayBuffer;
  counters: SharedArrayBuffer;
  counterLayout: CounterLayout;
  window: WindowSpec;
  outOfOrderness: number;
  /** false: the source drives watermarks with WATERMARK frames; records do not move them (OperatorConfig.watermarkFromRecords). */
  watermarkFromRecords: boolean;
  allowedLateness: number;
  earlyFire: number;
  /** Polls of the rings before sleeping; SPIN_AUTO: as many as take about SPIN_AUTO_MICROS here (calibrated at start). */
  spin: number;
  maxBatch: number;
  tickMs: number;
  aggregateModule?: string | undefined;
  keyGroups: number;
  /** Total partitions of the job (a key group g belongs to partition g % totalPartitions). */
  totalPartitions: number;
  /** Where BARRIER(id) snapshots go: checkpointPath(checkpointDir, id)/worker-<worker>.snap (snapshotFileName). */
  checkpointDir?: string | undefined;
  /** One snapshot file per partition (partition-<p>.snap) instead of one per worker: --changelog writes each on its own. */
  snapshotPerPartition?: boolean | undefined;
  /** Snapshot files of the checkpoint to restore (every worker's; each worker keeps the key groups it owns). */
  restoreFiles?: string[] | undefined;
  /** Where REWIND(n)'s file list is (src/checkpoint/rewind-file.ts); without it a REWIND frame fails the worker. */
  rewindDir?: string | undefined;
  /** Record latency histograms and GC pauses and post them to the main thread once a second. */
  metrics: boolean;
  /**
   * A job module's pipeline (--job): the worker imports `module` (a file URL)
   * and runs its plan's worker stages instead of the built-in window
   * aggregate; record frames then carry row bodies (src/codec/row-layout.ts).
   * `tables`: Kafka lookup tables by topic → the NDJSON file the main thread
   * keeps each in (src/engine/lookup-tables.ts; rewritten by rename when the topic changes).
   */
  job?: {
    module: string;
    onUserError: 'fail' | 'dead-letter';
    /** Lookup tables read from Kafka: topic → the NDJSON file the main thread keeps up to date for the workers. */
    tables?: Record<string, string> | undefined;
    /** The job file's directory: relative paths in the job (lookup table files) are resolved against it. */
    dir?: string | undefined;
    /** The source's fields, when the main thread inferred them (LoadedJob.inferred): the module declares none. */
    fields?: FieldsDecl | undefined;
  } | undefined;
  /** Tests only: busy-wait this many µs per record to make a deliberately slow worker. */
  slowMicrosPerRecord?: number;
}

export interface WorkerSummary {
  worker: number;
  threadId: number;
  records: number;
  results: number;
  late: number;
  batches: number;
  outFullWaits: number;
  /** Times the worker slept on its doorbell (each a futex wait) for want of input. */
  sleeps: number;
  keys: number;
}
