// The seam between a worker's loop and what it computes. The loop
// (workers/worker-loop.ts) only drains rings and dispatches: records and
// watermarks to the head of an operator chain (workers/operator-chain.ts),
// and the end of a ring's batch, barriers (snapshots), the processing-time
// tick and shutdown to every operator of the chain. Compare
// Flink's StreamOperator (open / processElement / processWatermark /
// snapshotState / initializeState / close), Arroyo's operator trait (hooks
// that default to nothing) and the Disruptor's EventHandler (onEvent with an
// endOfBatch signal).
//
// Hot path rules (docs/ARCHITECTURE.md, Workers): processRecord runs once per
// record and must neither allocate nor throw. Doubles travel in `io` slots,
// not as arguments (V8 boxes a double passed to a call it does not inline).

/** Slots of Operator.io (declared with the state code that reads them, below the operator layer). */
export { IN_BODY, IN_INGEST, IN_TS, IN_VALUE, IO_NOW, IO_SLOTS } from '../state/record-io.js';

/** Where an operator runs: fixed for the run, handed to open(). */
export interface OperatorContext {
  readonly worker: number;
  /** Global partition ids of the worker's inputs: input i of processRecord/onWatermark is partition inputs[i]. */
  readonly inputs: readonly number[];
  /** Key groups of the job (fixed for its life) and its total partitions: group g belongs to partition g % totalPartitions. */
  readonly keyGroups: number;
  readonly totalPartitions: number;
}

/** A state file of a checkpoint to restore from; `read()` throws ERR_CHECKPOINT_CORRUPT if it cannot be read. */
export interface StateHandle {
  /** Where it is (a path), for error messages. */
  readonly where: string;
  read(): Uint8Array;
}

/**
 * Where an operator's counters go: the worker's slice of the shared counters
 * (src/metrics/counters.ts). `partition[i]` is the base index of input i's
 * P_* counters, `worker` the base of the worker's W_* counters, `stage` of its stage slots.
 */
export interface CounterScope {
  readonly f64: Float64Array;
  readonly worker: number;
  readonly partition: readonly number[];
  /** The base index of the worker's stage slots (a job's stages; see Counters.stage), if the run has any. */
  readonly stage?: number;
}

/** Per-run totals an operator adds to the worker's summary. */
export interface OperatorTotals {
  results: number;
  late: number;
  keys: number;
}

/**
 * One operator of a worker's chain. Every hook but processRecord is optional
 * and defaults to nothing. An operator forwards its output to the next one
 * (or to the worker's out-ring writer) through whatever it was constructed
 * with; the loop calls only the head's processRecord.
 */
export interface Operator {
  readonly name: string;
  /** The head's record slots (IN_*, IO_NOW); at least IO_SLOTS long. */
  readonly io: Float64Array;
  /** Before the first record, after restoreState (if any). */
  open?(ctx: OperatorContext): void;
  /** One record of input `input`; key bytes are src[keyStart, keyStart+keyLen), doubles in io. Never allocates or throws. */
  processRecord(input: number, hash: number, src: Uint8Array, keyStart: number, keyLen: number): void;
  /** The loop finished a pass over input `input`'s ring (records, watermarks): publish per-input progress. */
  endOfBatch?(input: number, counters: CounterScope): void;
  /** A watermark for input `input` (a WATERMARK frame, or +Infinity at END); the operator passes it on to its successor if it has one. */
  onWatermark?(input: number, t: number): void;
  /** The processing-time tick came (early firings); `now` is the wall clock, also in io[IO_NOW]. */
  onProcessingTime?(now: number): void;
  /**
   * Every input reached the barrier: the state to keep, or undefined for a stateless operator. Must not keep a reference to the bytes.
   * `partition`: only that (global) partition's key groups — with --changelog each partition is snapshotted on its own.
   */
  snapshotState?(checkpointId: number, partition?: number): Uint8Array | undefined;
  /** Before open(): load the state this worker owns from every worker's files of a checkpoint. */
  restoreState?(files: readonly StateHandle[]): void;
  /** Copy counters into the shared counters (about every 1024 records while busy, and after each idle wait). */
  publishCounters?(counters: CounterScope): void;
  /** END on every input (watermarks at +Infinity): emit what is left, release what it holds. Counters are published once more after; the totals go into the worker's summary. */
  close?(): OperatorTotals | undefined;
}
