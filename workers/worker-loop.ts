import { threadId } from 'node:worker_threads';
import { RingBuffer } from '../src/ring/ring-buffer.js';
import { Doorbell } from '../src/ring/doorbell.js';
import { SPIN_AUTO, SPIN_AUTO_MICROS, SpinThenSleep, spinsFor } from '../src/ring/wait-strategy.js';
import { WRAP_MARKER, align8 } from '../src/ring/layout.js';
import { RecordView } from '../src/codec/record-view.js';
import {
  FRAME_HEADER_BYTES, F_HASH, F_INGEST, F_KIND, F_TIME, KIND_BARRIER, KIND_END, KIND_RECORD, KIND_REWIND, KIND_STOP, KIND_WATERMARK,
} from '../src/codec/frame.js';
import { SabreError } from '../src/errors.js';
import { SnapshotWriter } from '../src/checkpoint/snapshot-writer.js';
import { readSnapshotBytes } from '../src/checkpoint/snapshot.js';
import { readRewindFile } from '../src/checkpoint/rewind-file.js';
import { IN_BODY, IN_INGEST, IN_TS, IN_VALUE, IO_NOW, type CounterScope, type OperatorContext, type StateHandle } from '../src/operators/operator.js';
import { WindowAggregateOperator } from '../src/operators/window-aggregate.js';
import type { UserAggregate } from '../src/state/user-aggregate.js';
import { wallNow } from '../src/time/wall-clock.js';
import {
  Counters, P_RECORDS_PROCESSED,
  W_BARRIER_ALIGN_MS, W_BARRIER_ID, W_BATCHES, W_LOOP_WALL, W_SNAPSHOT_SERIALIZE_MS, W_SNAPSHOT_WRITE_MS, W_SPIN_GATE, W_OUT_FULL_WAITS,
} from '../src/metrics/counters.js';
import type { WorkerSummary, WorkerTask } from '../src/engine/worker-contract.js';
import { OutWriter } from './out-writer.js';
import { BarrierAligner } from './barrier-aligner.js';
import { CarriedTotals } from './carried-totals.js';
import { LoopLatency } from './loop-latency.js';
import { OperatorChain } from './operator-chain.js';
import { needsTicks, pipelineChain } from './pipeline-chain.js';
import { ROW_KEY, ROW_KEY_LEN } from '../src/codec/row-layout.js';
import type { JobPlan } from '../src/job/plan.js';

/** Records processed between clock reads while the worker is busy. */
const CLOCK_EVERY = 1024;

/**
 * The worker's one long task: drain its partitions' rings until END on all
 * of them, handing records and watermarks to the head of its operator chain
 * and barriers, the processing-time tick and shutdown to the whole chain.
 * Control frames are in-band, so nothing here depends on the event loop,
 * which stays blocked for the whole run (Piscina's own messages wait; see
 * the pool setup in src/engine/worker-pool.ts). With a job's `plan` (--job)
 * records carry row bodies and the chain is the job's pipeline. REWIND
 * (Engine.rewind) replaces the chain by a fresh one holding the state of
 * the rewind's files, as if the worker started again there.
 */
export function runWorkerLoop(task: WorkerTask, userAggregate: UserAggregate | undefined, plan?: JobPlan): WorkerSummary {
  const bell = new Doorbell(task.bell);
  const rings = task.rings.map((h) => new RingBuffer(h));
  const views = rings.map((r) => new RecordView(r.u8, r.i32, r.f64));
  const out = new OutWriter(new RingBuffer(task.out), bell, task.partitions, task.maxBatch, task.tickMs);
  const context: OperatorContext = {
    worker: task.worker, inputs: task.partitions, keyGroups: task.keyGroups, totalPartitions: task.totalPartitions,
  };
  const buildChain = (): OperatorChain => (plan !== undefined ? pipelineChain(task, plan, out) : windowChain(task, userAggregate, out));
  // Replaced only by a rewind (a control frame), never while a ring is being drained.
  let chain = buildChain();
  const rowBodies = plan !== undefined;
  let head = chain.head;
  const counters = new Counters(task.counters, task.counterLayout);
  const cf = counters.f64;
  const n = rings.length;
  const tails = new Int32Array(n);
  for (let i = 0; i < n; i++) tails[i] = rings[i]!.loadTail();
  const ended = new Uint8Array(n);
  let endedCount = 0;
  let records = 0;
  let batches = 0;
  const slowMicros = task.slowMicrosPerRecord ?? 0;
  // Clock reads allocate (performance.now() returns a boxed double) and cost ~50 ns: read the clock once
  // per CLOCK_EVERY records while busy, and after every sleep. Doubles that change live in typed arrays.
  const nextTick = new Float64Array(1); // the next processing-time tick (early firings, timers, reloads), Infinity: none
  const tickEvery = task.earlyFire > 0 ? task.earlyFire : plan !== undefined && needsTicks(plan) ? task.tickMs : 0;
  nextTick[0] = tickEvery > 0 ? wallNow() + tickEvery : Infinity;
  let sinceClock = CLOCK_EVERY;
  let lastPassWork = 0;
  const scope: CounterScope = {
    f64: cf, worker: counters.w(task.worker, 0), partition: task.partitions.map((p) => counters.p(p, 0)), ...(counters.stages > 0 ? { stage: counters.stage(task.worker) } : {}),
  };
  const pIdx = scope.partition;
  const wIdx = scope.worker;
  const carried = new CarriedTotals(scope);
  if (task.restoreFiles && task.restoreFiles.length > 0) chain.restore(stateFiles(task.restoreFiles));
  chain.open(context);
  const snapshots = task.checkpointDir !== undefined ? new SnapshotWriter(task.checkpointDir, task.worker) : undefined;
  const aligner = new BarrierAligner(n);
  const atBarrier = aligner.blocked;
  const latency = task.metrics ? new LoopLatency(task.worker) : undefined;
  const metrics = latency?.metrics;
  // Per batch: the oldest and newest ingest time seen, for the queue stage (see docs/ARCHITECTURE.md, Observability).
  const batchIngest = new Float64Array(2);

  /** Process every frame published in ring i; returns records processed. */
  const drain = (i: number): number => {
    const ring = rings[i]!;
    const ringHead = ring.loadHead();
    let tail = tails[i]!;
    if (tail === ringHead) return 0;
    const i32 = ring.i32;
    const f64 = ring.f64;
    const u8 = ring.u8;
    const mask = ring.mask;
    const cap = ring.capacity;
    const view = views[i]!;
    const op = head;
    const io = op.io;
    let count = 0;
    while (tail !== ringHead) {
      const at = tail & mask;
      const size = i32[at >> 2]!;
      if (size === WRAP_MARKER) {
        tail = (tail + cap - at) | 0;
        continue;
      }
      const kind = i32[(at + F_KIND) >> 2]!;
      if (kind === KIND_RECORD) {
        const body = at + FRAME_HEADER_BYTES;
        io[IN_TS] = f64[(at + F_TIME) >> 3]!;
        const ingest = f64[(at + F_INGEST) >> 3]!;
        io[IN_INGEST] = ingest;
        if (count === 0) batchIngest[0] = ingest;
        batchIngest[1] = ingest;
        if (rowBodies) {
          // A job's row body (src/codec/row-layout.ts): the key leads it; the pipeline reads the fields.
          io[IN_BODY] = body;
          io[IN_VALUE] = 0;
          op.processRecord(i, i32[(at + F_HASH) >> 2]!, u8, body + ROW_KEY, i32[(body + ROW_KEY_LEN) >> 2]!);
        } else {
          view.at(body);
          io[IN_VALUE] = view.value;
          op.processRecord(i, i32[(at + F_HASH) >> 2]!, u8, view.keyStart, view.keyLength);
        }
        count++;
        if (slowMicros > 0) busyWait(slowMicros);
      } else if (kind === KIND_WATERMARK) {
        op.onWatermark?.(i, f64[(at + F_TIME) >> 3]!);
      } else if (kind === KIND_END) {
        op.onWatermark?.(i, Infinity);
        ended[i] = 1;
        endedCount++;
      } else if (kind === KIND_BARRIER || kind === KIND_REWIND) {
        aligner.arrive(i, f64[(at + F_TIME) >> 3]!, kind);
        tail = (tail + align8(size)) | 0;
        break; // stop reading this ring until the others reach the barrier (the rewind)
      } else if (kind === KIND_STOP) {
        ended[i] = 1;
        endedCount++;
      }
      tail = (tail + align8(size)) | 0;
    }
    ring.release(tail);
    tails[i] = tail;
    if (latency !== undefined && count > 0) latency.queued(io, batchIngest, count);
    cf[pIdx[i]! + P_RECORDS_PROCESSED]! += count;
    chain.endOfBatch(i, scope);
    return count;
  };

  const hasWork = (): boolean => {
    for (let i = 0; i < n; i++) if (ended[i] === 0 && atBarrier[i] === 0 && rings[i]!.loadHead() !== tails[i]) return true;
    return false;
  };
  // Auto spin polls only while the main thread's SpinGate says the machine has the cores for it.
  const waiter = task.spin === SPIN_AUTO
    ? new SpinThenSleep(bell, spinsFor(hasWork, SPIN_AUTO_MICROS), cf, wIdx + W_SPIN_GATE)
    : new SpinThenSleep(bell, task.spin);
  /** An idle worker sleeps until its processing-time tick, its next early firing or metrics flush, or a publish. */
  const sleepTimeout = (): number => {
    const now = wallNow();
    return Math.min(task.tickMs, nextTick[0]! - now, metrics ? metrics.untilFlush(now) : Infinity);
  };

  /** All rings reached BARRIER(aligner.id): snapshot the chain, write the file, acknowledge, resume. */
  // The loop does nothing else meanwhile: every partition of this worker pauses for serialise + write,
  // and a ring that delivered the barrier early also for the alignment before it.
  const checkpoint = (): void => {
    const id = aligner.id;
    const t0 = wallNow();
    out.flush();
    let bytes = 0;
    let t1 = t0;
    if (task.snapshotPerPartition) {
      // --changelog: each partition's state is one Kafka partition's, sent to the changelog on its own.
      let serialising = 0;
      for (const p of task.partitions) {
        const s = performance.now();
        const part = chain.snapshot(id, p);
        serialising += performance.now() - s;
        snapshots!.write(id, part, p);
        bytes += part.length;
      }
      t1 = t0 + serialising;
    } else {
      const whole = chain.snapshot(id);
      t1 = wallNow();
      snapshots!.write(id, whole);
      bytes = whole.length;
    }
    const t2 = wallNow();
    // Plain stores before the ack's publish (an Atomics store): the main thread reads them after it read the ack.
    cf[wIdx + W_BARRIER_ALIGN_MS] = aligner.waitedMs(t0);
    cf[wIdx + W_SNAPSHOT_SERIALIZE_MS] = t1 - t0;
    cf[wIdx + W_SNAPSHOT_WRITE_MS] = t2 - t1;
    cf[wIdx + W_BARRIER_ID] = id;
    out.barrierAck(task.worker, id, bytes);
    aligner.release();
  };

  /**
   * All rings reached REWIND(aligner.id): a fresh chain, as at start, loads the rewind's files
   * (none: empty state, no watermark); what the old one produced and did not publish is dropped,
   * and so is the processing-time schedule it set. Then acknowledge and resume.
   */
  const rewind = (): void => {
    const number = aligner.id;
    if (task.rewindDir === undefined) throw new SabreError('ERR_INTERNAL', `REWIND(${number}) reached a worker that was given no rewind dir`);
    const files = readRewindFile(task.rewindDir, number);
    publishCounters();
    carried.carry(cf);
    chain = buildChain();
    head = chain.head;
    if (files.length > 0) chain.restore(stateFiles(files));
    chain.open(context);
    const now = wallNow();
    head.io[IO_NOW] = now;
    nextTick[0] = tickEvery > 0 ? now + tickEvery : Infinity;
    aligner.release();
    out.rewound(task.worker, number);
    // The per-partition progress (watermark, largest event time) is the new state's from now.
    for (let i = 0; i < n; i++) chain.endOfBatch(i, scope);
    publishCounters();
  };

  // Liveness before the first pass: the engine starts its sources once every worker reports in
  // (a worker that owns no partition reports and ends at once).
  head.io[IO_NOW] = wallNow();
  publishCounters();
  while (endedCount < n) {
    // With metrics the clock is read once per batch (latency stamps); without, once per CLOCK_EVERY records.
    if (metrics !== undefined || sinceClock >= CLOCK_EVERY) {
      sinceClock = 0;
      const now = wallNow();
      if (latency !== undefined && lastPassWork > 0) latency.passed(now, head.io, lastPassWork);
      lastPassWork = 0;
      head.io[IO_NOW] = now;
      metrics?.maybeFlush(now);
      publishCounters();
      if (now >= nextTick[0]!) {
        chain.onProcessingTime(now);
        out.flush();
        nextTick[0] = now + tickEvery;
      }
    }
    let work = 0;
    for (let i = 0; i < n; i++) if (ended[i] === 0 && atBarrier[i] === 0) work += drain(i);
    // Before the flush: what this pass produced before the rewind is dropped, not published.
    if (aligner.kind === KIND_REWIND && aligner.aligned(n - endedCount)) rewind();
    out.flush();
    if (aligner.aligned(n - endedCount)) checkpoint();
    if (work > 0) {
      records += work;
      batches++;
      sinceClock += work;
      lastPassWork = work; // its duration is taken at the next clock read, which follows at once
      continue;
    }
    sinceClock = CLOCK_EVERY; // idle: read the clock before the next batch
    if (endedCount === n) continue;
    waiter.waitFor(hasWork, sleepTimeout);
  }
  const totals = chain.close(); // before out.done(): a closing operator may still emit
  publishCounters();
  metrics?.close();
  out.done();
  return {
    worker: task.worker, threadId, records, results: totals.results + carried.results, late: totals.late + carried.late, batches,
    outFullWaits: out.fullWaits, sleeps: waiter.sleeps, keys: totals.keys,
  };

  function publishCounters(): void {
    chain.publishCounters(scope);
    carried.add(cf);
    cf[wIdx + W_LOOP_WALL] = head.io[IO_NOW]!;
    cf[wIdx + W_BATCHES] = batches;
    cf[wIdx + W_OUT_FULL_WAITS] = out.fullWaits;
  }
}

/** Handles on the snapshot files of the checkpoint to restore; each is read when the operator asks for it. */
function stateFiles(paths: readonly string[]): StateHandle[] {
  return paths.map((where) => ({ where, read: () => readSnapshotBytes(where) }));
}

/** Today's job: one window-aggregate operator writing into the worker's out-ring. */
function windowChain(task: WorkerTask, userAggregate: UserAggregate | undefined, out: OutWriter): OperatorChain {
  return new OperatorChain([new WindowAggregateOperator({
    window: task.window, outOfOrderness: task.outOfOrderness, allowedLateness: task.allowedLateness,
    partitions: task.partitions, userAggregate, earlyFiring: task.earlyFire > 0,
    watermarkFromRecords: task.watermarkFromRecords,
  }, out, {
    keyGroups: task.keyGroups, partitions: task.totalPartitions, worker: task.worker, ownPartitions: task.partitions,
  })]);
}

function busyWait(micros: number): void {
  const until = performance.now() + micros / 1000;
  while (performance.now() < until) { /* deliberately slow (tests) */ }
}
