// STAND-IN (branch `pipe` only): the `proc` branch owns this file and the real
// ProcessStage. This declares the interface the pipeline operator calls so it
// compiles; constructing it fails. At merge, take the `proc` version.
import type { ProcessFunction } from '../../job/process.js';
import type { SnapshotLayout } from '../../checkpoint/snapshot.js';
import type { KeyFields } from './key-fields.js';

export interface ProcessStageOptions {
  partitions: number[];
  outOfOrderness: number;
  watermarkFromRecords: boolean;
  /** The operator's io: io[IN_TS] is the record's event time. */
  io: Float64Array;
  emit: (out: object, eventTime: number) => void;
  keyFields: KeyFields;
}

export class ProcessStage {
  readonly keys: number = 0;
  readonly wm: Float64Array = new Float64Array(0);

  constructor(_fn: ProcessFunction<never, unknown, unknown>, _opts: ProcessStageOptions) {
    throw new Error('stand-in ProcessStage: .process() needs the proc branch');
  }

  record(_pi: number, _hash: number, _src: Uint8Array, _keyStart: number, _keyLen: number, _rec: unknown): void {}
  watermark(_pi: number, _t: number): void {}
  processingTime(_now: number): void {}
  snapshot(_layout: SnapshotLayout): Uint8Array { return new Uint8Array(0); }
  restore(_parts: Uint8Array[], _layout: SnapshotLayout): void {}
  close(): void {}
}
