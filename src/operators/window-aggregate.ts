// Today's one operator: event-time windows with the built-in aggregates (and
// an optional user aggregate), as an Operator of the worker's chain. The
// window logic stays whole in WindowOperator (src/state/window-operator.ts);
// this adapter gives it the lifecycle: restore/snapshot through the snapshot
// format (src/checkpoint/snapshot.ts), counters, totals.
import { WindowOperator, type Emitter } from '../state/window-operator.js';
import type { OperatorConfig } from '../state/window-config.js';
import { readSnapshot, restoreSnapshots, writeSnapshot, type SnapshotLayout } from '../checkpoint/snapshot.js';
import {
  P_LATE, P_MAX_EVENT_TIME, P_RESULTS, P_WATERMARK,
  W_KEYS, W_LATE, W_OPEN_WINDOWS, W_PEAK_OPEN_WINDOWS, W_RESULTS_OUT, W_STATE_BYTES, W_WATERMARK,
} from '../metrics/counters.js';
import type { CounterScope, Operator, OperatorTotals, StateHandle } from './operator.js';

export class WindowAggregateOperator implements Operator {
  readonly name = 'window-aggregate';
  readonly window: WindowOperator;
  readonly io: Float64Array;

  /** `layout`: how this worker's state maps to key groups (snapshots are stored by key group). */
  constructor(config: OperatorConfig, emitter: Emitter, private readonly layout: SnapshotLayout) {
    this.window = new WindowOperator(config, emitter);
    this.io = this.window.io;
  }

  processRecord(input: number, hash: number, src: Uint8Array, keyStart: number, keyLen: number): void {
    this.window.record(input, hash, src, keyStart, keyLen);
  }

  onWatermark(input: number, t: number): void {
    this.window.watermark(input, t);
  }

  onProcessingTime(): void {
    this.window.fireEarly();
  }

  endOfBatch(input: number, c: CounterScope): void {
    const pb = c.partition[input]!;
    c.f64[pb + P_WATERMARK] = this.window.wm[input]!;
    c.f64[pb + P_MAX_EVENT_TIME] = this.window.maxTs[input]!;
  }

  snapshotState(_id: number, partition?: number): Uint8Array {
    return writeSnapshot(this.window, partition === undefined ? this.layout : { ...this.layout, only: partition });
  }

  restoreState(files: readonly StateHandle[]): void {
    // Each file is read and verified before the next is (the first bad one is the one reported).
    restoreSnapshots(this.window, files.map((f) => readSnapshot(f.read(), f.where)), this.layout);
  }

  publishCounters(c: CounterScope): void {
    const op = this.window;
    const cf = c.f64;
    for (let i = 0; i < c.partition.length; i++) {
      const pb = c.partition[i]!;
      cf[pb + P_WATERMARK] = op.wm[i]!;
      cf[pb + P_LATE] = op.lateByPartition[i]!;
      cf[pb + P_RESULTS] = op.firingsByPartition[i]!;
    }
    const wb = c.worker;
    cf[wb + W_RESULTS_OUT] = op.firings;
    cf[wb + W_LATE] = op.lateRecords;
    cf[wb + W_WATERMARK] = op.minWatermark();
    cf[wb + W_OPEN_WINDOWS] = op.slots.live;
    cf[wb + W_PEAK_OPEN_WINDOWS] = op.slots.peakLive;
    cf[wb + W_STATE_BYTES] = op.stateBytes();
    cf[wb + W_KEYS] = op.keys.size;
  }

  close(): OperatorTotals {
    return { results: this.window.firings, late: this.window.lateRecords, keys: this.window.keys.size };
  }
}
