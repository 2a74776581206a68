// Engine counters in one SharedArrayBuffer, read by the main thread without
// messages. Every slot has exactly one writer (noted per constant), so plain
// stores are enough: a reader may see a value one batch old, never a torn one
// (aligned 8-byte stores are single instructions on the platforms Node runs on).
// Counts are float64 so they never wrap.

/** Per-partition block. */
export const P_RECORDS_IN = 0; // main: frames written into the partition's ring
export const P_RECORDS_PROCESSED = 1; // worker: records consumed from the ring
export const P_LATE = 2; // worker: records beyond allowed lateness
export const P_RESULTS = 3; // worker: window firings emitted
export const P_WATERMARK = 4; // worker: current watermark (ms, -Infinity before data)
export const P_MAX_EVENT_TIME = 5; // worker: largest event time seen
export const P_LAST_RECORD_WALL = 6; // main: wall-clock ms of the last record written
export const PARTITION_STRIDE = 8;

/** Per-worker block. */
export const W_RESULTS_OUT = 0; // worker: result frames written to its out-ring
export const W_LATE = 1; // worker: late records sent to the late output
export const W_WATERMARK = 2; // worker: min watermark over its partitions
export const W_LOOP_WALL = 3; // worker: wall-clock ms of its last loop pass (liveness)
export const W_BATCHES = 4; // worker: batches drained
export const W_OUT_FULL_WAITS = 5; // worker: times it waited for space in its out-ring
export const W_OPEN_WINDOWS = 6; // worker: window states held
export const W_KEYS = 7; // worker: distinct keys held
export const W_PEAK_OPEN_WINDOWS = 8; // worker: most window states held at once
export const W_STATE_BYTES = 9; // worker: bytes of its key table, window slots and timers
// The last checkpoint's pause, written before its BARRIER_ACK (so they belong to the ack the main thread reads):
export const W_BARRIER_ID = 10; // worker: id of the last barrier it wrote a snapshot for
export const W_BARRIER_ALIGN_MS = 11; // worker: first of its rings at that barrier → all of them (the early rings wait)
export const W_SNAPSHOT_SERIALIZE_MS = 12; // worker: serialising that snapshot
export const W_SNAPSHOT_WRITE_MS = 13; // worker: writing and fsyncing it
export const W_SPIN_GATE = 14; // main: 1 while an idle worker may poll before sleeping (auto spin), 0 to sleep at once (src/ring/spin-gate.ts)
export const W_LOOKUP_RELOAD_ERRORS = 15; // worker: lookup table reloads that failed (the previous table kept), and checkpoint table copies missing at restore
export const WORKER_STRIDE = 16;

/**
 * Per-worker stage block (a --job run): one slot per stage of the job, in
 * src/job/describe.ts stageLabels order, each the records (or window
 * results, process outputs) that stage passed on. Worker: adds what it
 * counted since its last publish.
 */
export interface CounterLayout {
  partitions: number;
  workers: number;
  /** Stage slots per worker (stageLabels(plan).length; 0 or absent without a job). */
  stages?: number;
}

export function countersByteLength(l: CounterLayout): number {
  return (l.partitions * PARTITION_STRIDE + l.workers * (WORKER_STRIDE + (l.stages ?? 0))) * 8;
}

/** Typed views over the counters buffer; the same class is used in workers and main. */
export class Counters {
  readonly f64: Float64Array;
  readonly partitions: number;
  readonly workers: number;
  readonly stages: number;
  private readonly workerBase: number;
  private readonly stageBase: number;

  constructor(readonly sab: SharedArrayBuffer, layout: CounterLayout) {
    this.f64 = new Float64Array(sab);
    this.partitions = layout.partitions;
    this.workers = layout.workers;
    this.stages = layout.stages ?? 0;
    this.workerBase = layout.partitions * PARTITION_STRIDE;
    this.stageBase = this.workerBase + layout.workers * WORKER_STRIDE;
  }

  static create(layout: CounterLayout): Counters {
    const c = new Counters(new SharedArrayBuffer(countersByteLength(layout)), layout);
    for (let p = 0; p < layout.partitions; p++) {
      c.f64[p * PARTITION_STRIDE + P_WATERMARK] = -Infinity;
      c.f64[p * PARTITION_STRIDE + P_MAX_EVENT_TIME] = -Infinity;
    }
    for (let w = 0; w < layout.workers; w++) {
      c.f64[c.workerBase + w * WORKER_STRIDE + W_WATERMARK] = -Infinity;
      c.f64[c.workerBase + w * WORKER_STRIDE + W_SPIN_GATE] = 1;
    }
    return c;
  }

  /** Index of a partition slot in `f64`. */
  p(partition: number, field: number): number {
    return partition * PARTITION_STRIDE + field;
  }

  /** Index of a worker slot in `f64`. */
  w(worker: number, field: number): number {
    return this.workerBase + worker * WORKER_STRIDE + field;
  }

  /** Index of worker `worker`'s first stage slot in `f64` (its stage s is this + s). */
  stage(worker: number): number {
    return this.stageBase + worker * this.stages;
  }

  /** Stage s's count, summed over workers. */
  sumStage(s: number): number {
    let sum = 0;
    for (let w = 0; w < this.workers; w++) sum += this.f64[this.stageBase + w * this.stages + s]!;
    return sum;
  }

  partition(partition: number, field: number): number {
    return this.f64[partition * PARTITION_STRIDE + field]!;
  }

  worker(worker: number, field: number): number {
    return this.f64[this.workerBase + worker * WORKER_STRIDE + field]!;
  }

  sumPartitions(field: number): number {
    let s = 0;
    for (let p = 0; p < this.partitions; p++) s += this.f64[p * PARTITION_STRIDE + field]!;
    return s;
  }

  sumWorkers(field: number): number {
    let s = 0;
    for (let w = 0; w < this.workers; w++) s += this.f64[this.workerBase + w * WORKER_STRIDE + field]!;
    return s;
  }
}
