// Drives a ProcessStage as a worker would: key bytes at an offset inside a
// larger buffer (as in ring memory), event time in io[IN_TS], murmur2 hashes.
import { ProcessStage } from '../../../../src/operators/pipeline/process-stage.js';
import type { ProcessFunction } from '../../../../src/job/process.js';
import { IN_TS, IO_SLOTS } from '../../../../src/state/record-io.js';
import { murmur2, toPositive } from '../../../../src/partition/murmur2.js';

export interface Emitted { out: Record<string, unknown>; t: number }

const enc = new TextEncoder();

export class Harness {
  readonly io = new Float64Array(IO_SLOTS);
  readonly emitted: Emitted[] = [];
  readonly stage: ProcessStage;
  private readonly buf = new Uint8Array(256);

  constructor(fn: ProcessFunction<any, any, any>, opts: { partitions?: number[]; outOfOrderness?: number; watermarkFromRecords?: boolean } = {}) {
    this.stage = new ProcessStage(fn as ProcessFunction<never, unknown, unknown>, {
      partitions: opts.partitions ?? [0],
      outOfOrderness: opts.outOfOrderness ?? 0,
      watermarkFromRecords: opts.watermarkFromRecords ?? true,
      io: this.io,
      emit: (out, t) => { this.emitted.push({ out: out as Record<string, unknown>, t }); },
    });
  }

  send(pi: number, key: string, ts: number, rec: unknown): void {
    const b = enc.encode(key);
    this.buf.fill(0xff);
    this.buf.set(b, 7);
    this.io[IN_TS] = ts;
    this.stage.record(pi, murmur2(b), this.buf, 7, b.length, rec);
  }

  /** Take what was emitted since the last call. */
  take(): Emitted[] {
    return this.emitted.splice(0);
  }
}

/** The global partition of a key under `keyGroups` and `partitions` (group g → partition g % partitions). */
export function partitionOf(key: string, keyGroups: number, partitions: number): number {
  return (toPositive(murmur2(enc.encode(key))) % keyGroups) % partitions;
}
