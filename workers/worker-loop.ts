import { threadId } from 'node:worker_threads';
import { RingBuffer } from '../src/ring/ring-buffer.js';
import { Doorbell } from '../src/ring/doorbell.js';
import { SPIN_AUTO, SPIN_AUTO_MICROS, SpinThenSleep, spinsFor } from '../src/ring/wait-strategy.js';
import { WRAP_MARKER, align8 } from '../src/ring/layout.js';
import { RecordView } from '../src/codec/record-view.js';
import {
  FRAME_HEADER_BYTES, F_HASH, F_INGEST, F_KIND, F_TIME, KIND_BARRIER, KIND_END, KIND_RECORD, KIND_STOP, KIND_WATERMARK,
} from '../src/codec/frame.js';
import { readSnapshotFile, restoreSnapshots, writeSnapshot, type SnapshotLayout } from '../src/checkpoint/snapshot.js';
import { writeFileDurably } from '../src/checkpoint/durable-file.js';
import { checkpointPath } from '../src/checkpoint/manifest.js';
import { join } from 'node:path';
import { IN_INGEST, IN_TS, IN_VALUE, IO_NOW, WindowOperator } from '../src/state/window-operator.js';
import type { UserAggregate } from '../src/state/user-aggregate.js';
import { wallNow } from '../src/time/wall-clock.js';
import {
  Counters, P_LATE, P_RECORDS_PROCESSED, P_RESULTS, P_WATERMARK, P_MAX_EVENT_TIME,
  W_BARRIER_ALIGN_MS, W_BARRIER_ID, W_BATCHES, W_KEYS, W_LATE, W_LOOP_WALL, W_SNAPSHOT_SERIALIZE_MS, W_SNAPSHOT_WRITE_MS, W_SPIN_GATE, W_OPEN_WINDOWS, W_OUT_FULL_WAITS, W_PEAK_OPEN_WINDOWS, W_STATE_BYTES, W_RESULTS_OUT, W_WATERMARK,
} from '../src/metrics/counters.js';
import { OutWriter } from './out-writer.js';
import { WorkerMetrics } from '../src/metrics/worker-metrics.js';

import type { WorkerSummary, WorkerTask } from '../src/engine/worker-contract.js';

/** Records processed between clock reads while the worker is busy. */
const CLOCK_EVERY = 1024;

/**
 * The worker's one long task: drain its partitions' rings until END on all
 * of them. Control frames are in-band, so nothing here depends on the
 * event loop, which stays blocked for the whole run (Piscina's own messages
 * wait; see the pool setup in src/worker-pool.ts).
 */
export function runWorkerLoop(task: WorkerTask, userAggregate: UserAggregate | undefined): WorkerSummary {
  const bell = new Doorbell(task.bell);
  const rings = task.rings.map((h) => new RingBuffer(h));
  const views = rings.map((r) => new RecordView(r.u8, r.i32, r.f64));
  const out = new OutWriter(new RingBuffer(task.out), bell, task.partitions, task.maxBatch, task.tickMs);
  const op = new WindowOperator({
    window: task.window, outOfOrderness: task.outOfOrderness, allowedLateness: task.allowedLateness,
    partitions: task.partitions, userAggregate, earlyFiring: task.earlyFire > 0,
    watermarkFromRecords: task.watermarkFromRecords,
  }, out);
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
  // per CLOCK_EVERY records while busy, and after every sleep. Doubles that change live in `clock`.
  const clock = new Float64Array(2);
  const NEXT_EARLY = 0;
  const BARRIER_AT = 1; // when the first ring of this worker delivered the current barrier
  clock[NEXT_EARLY] = task.earlyFire > 0 ? wallNow() + task.earlyFire : Infinity;
  let sinceClock = CLOCK_EVERY;
  let lastPassWork = 0;
  const pIdx = task.partitions.map((p) => counters.p(p, 0));
  const wIdx = counters.w(task.worker, 0);
  const layout: SnapshotLayout = {
    keyGroups: task.keyGroups, partitions: task.totalPartitions, worker: task.worker, ownPartitions: task.partitions,
  };
  if (task.restoreFiles && task.restoreFiles.length > 0) {
    restoreSnapshots(op, task.restoreFiles.map(readSnapshotFile), layout);
  }
  // Barrier alignment: a ring that delivered BARRIER(id) is not read again
  // until every ring of this worker has, so the snapshot cuts all of them at
  // the same point of the input.
  const metrics = task.metrics ? new WorkerMetrics({ worker: task.worker }) : undefined;
  const queueRec = metrics?.queue;
  const processRec = metrics?.process;
  // Per batch: the oldest and newest ingest time seen, for the queue stage (see docs/ARCHITECTURE.md, Observability).
  const batchIngest = new Float64Array(2);
  const atBarrier = new Uint8Array(n);
  let barriersSeen = 0;
  let barrierId = 0;

  /** Process every frame published in ring i; returns records processed. */
  const drain = (i: number): number => {
    const ring = rings[i]!;
    const head = ring.loadHead();
    let tail = tails[i]!;
    if (tail === head) return 0;
    const i32 = ring.i32;
    const f64 = ring.f64;
    const u8 = ring.u8;
    const mask = ring.mask;
    const cap = ring.capacity;
    const view = views[i]!;
    const io = op.io;
    let count = 0;
    while (tail !== head) {
      const at = tail & mask;
      const size = i32[at >> 2]!;
      if (size === WRAP_MARKER) {
        tail = (tail + cap - at) | 0;
        continue;
      }
      const kind = i32[(at + F_KIND) >> 2]!;
      if (kind === KIND_RECORD) {
        view.at(at + FRAME_HEADER_BYTES);
        io[IN_TS] = f64[(at + F_TIME) >> 3]!;
        io[IN_VALUE] = view.value;
        const ingest = f64[(at + F_INGEST) >> 3]!;
        io[IN_INGEST] = ingest;
        if (count === 0) batchIngest[0] = ingest;
        batchIngest[1] = ingest;
        op.record(i, i32[(at + F_HASH) >> 2]!, u8, view.keyStart, view.keyLength);
        count++;
        if (slowMicros > 0) busyWait(slowMicros);
      } else if (kind === KIND_WATERMARK) {
        op.watermark(i, f64[(at + F_TIME) >> 3]!);
      } else if (kind === KIND_END) {
        op.watermark(i, Infinity);
        ended[i] = 1;
        endedCount++;
      } else if (kind === KIND_BARRIER) {
        if (barriersSeen === 0) clock[BARRIER_AT] = wallNow();
        barrierId = f64[(at + F_TIME) >> 3]!;
        atBarrier[i] = 1;
        barriersSeen++;
        tail = (tail + align8(size)) | 0;
        break; // stop reading this ring until the others reach the barrier
      } else if (kind === KIND_STOP) {
        ended[i] = 1;
        endedCount++;
      }
      tail = (tail + align8(size)) | 0;
    }
    ring.release(tail);
    tails[i] = tail;
    if (queueRec !== undefined && count > 0) {
      // Queue time of the batch's oldest and newest record, each for half the batch: the clock is read per batch, not per record.
      const now = io[IO_NOW]!;
      const half = count >> 1;
      queueRec.recordValueWithCount((now - batchIngest[0]!) * 1000, count - half);
      queueRec.recordValueWithCount((now - batchIngest[1]!) * 1000, half);
    }
    const pb = pIdx[i]!;
    cf[pb + P_RECORDS_PROCESSED]! += count;
    cf[pb + P_WATERMARK] = op.wm[i]!;
    cf[pb + P_MAX_EVENT_TIME] = op.maxTs[i]!;
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
    return Math.min(task.tickMs, clock[NEXT_EARLY]! - now, metrics ? metrics.untilFlush(now) : Infinity);
  };

  /** All rings reached BARRIER(barrierId): write the snapshot, acknowledge, resume. */
  // The loop does nothing else meanwhile: every partition of this worker pauses for serialise + write,
  // and a ring that delivered the barrier early also for the alignment before it.
  const checkpoint = (): void => {
    const t0 = wallNow();
    out.flush();
    const bytes = writeSnapshot(op, layout);
    const t1 = wallNow();
    writeFileDurably(join(checkpointPath(task.checkpointDir!, barrierId), `worker-${task.worker}.snap`), bytes);
    const t2 = wallNow();
    // Plain stores before the ack's publish (an Atomics store): the main thread reads them after it read the ack.
    cf[wIdx + W_BARRIER_ALIGN_MS] = t0 - clock[BARRIER_AT]!;
    cf[wIdx + W_SNAPSHOT_SERIALIZE_MS] = t1 - t0;
    cf[wIdx + W_SNAPSHOT_WRITE_MS] = t2 - t1;
    cf[wIdx + W_BARRIER_ID] = barrierId;
    out.barrierAck(task.worker, barrierId, bytes.length);
    atBarrier.fill(0);
    barriersSeen = 0;
  };

  // Liveness before the first pass: the engine starts its sources once every worker reports in
  // (a worker that owns no partition reports and ends at once).
  op.io[IO_NOW] = wallNow();
  publishCounters();
  while (endedCount < n) {
    // With metrics the clock is read once per batch (latency stamps); without, once per CLOCK_EVERY records.
    if (metrics !== undefined || sinceClock >= CLOCK_EVERY) {
      sinceClock = 0;
      const now = wallNow();
      if (processRec !== undefined && lastPassWork > 0) {
        // Record k of a pass of n waited about k/n of the pass before its aggregate was updated: spread the
        // pass duration over four quarter-midpoints, a quarter of the records each. One clock read per pass.
        const passUs = (now - op.io[IO_NOW]!) * 1000;
        const q = lastPassWork >> 2;
        processRec.recordValueWithCount(passUs * 0.125, lastPassWork - 3 * q);
        processRec.recordValueWithCount(passUs * 0.375, q);
        processRec.recordValueWithCount(passUs * 0.625, q);
        processRec.recordValueWithCount(passUs * 0.875, q);
      }
      lastPassWork = 0;
      op.io[IO_NOW] = now;
      metrics?.maybeFlush(now);
      publishCounters();
      if (now >= clock[NEXT_EARLY]!) {
        op.fireEarly();
        out.flush();
        clock[NEXT_EARLY] = now + task.earlyFire;
      }
    }
    let work = 0;
    for (let i = 0; i < n; i++) if (ended[i] === 0 && atBarrier[i] === 0) work += drain(i);
    out.flush();
    if (barriersSeen > 0 && barriersSeen === n - endedCount) checkpoint();
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
  publishCounters();
  metrics?.close();
  out.done();
  return {
    worker: task.worker, threadId, records, results: op.firings, late: op.lateRecords, batches,
    outFullWaits: out.fullWaits, sleeps: waiter.sleeps, keys: op.keys.size,
  };

  function publishCounters(): void {
    for (let i = 0; i < n; i++) {
      cf[pIdx[i]! + P_WATERMARK] = op.wm[i]!;
      cf[pIdx[i]! + P_LATE] = op.lateByPartition[i]!;
      cf[pIdx[i]! + P_RESULTS] = op.firingsByPartition[i]!;
    }
    cf[wIdx + W_RESULTS_OUT] = op.firings;
    cf[wIdx + W_LATE] = op.lateRecords;
    cf[wIdx + W_WATERMARK] = op.minWatermark();
    cf[wIdx + W_LOOP_WALL] = op.io[IO_NOW]!;
    cf[wIdx + W_BATCHES] = batches;
    cf[wIdx + W_OUT_FULL_WAITS] = out.fullWaits;
    cf[wIdx + W_OPEN_WINDOWS] = op.slots.live;
    cf[wIdx + W_PEAK_OPEN_WINDOWS] = op.slots.peakLive;
    cf[wIdx + W_STATE_BYTES] = op.stateBytes();
    cf[wIdx + W_KEYS] = op.keys.size;
  }
}


function busyWait(micros: number): void {
  const until = performance.now() + micros / 1000;
  while (performance.now() < until) { /* deliberately slow (tests) */ }
}
