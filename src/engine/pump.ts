import { setImmediate as yieldToLoop } from 'node:timers/promises';
import type { Doorbell } from '../ring/doorbell.js';
import { AsyncSleep } from '../ring/wait-strategy.js';
import type { PartitionedWriter } from '../partition/partitioned-writer.js';
import type { Source } from '../io/sources/source.js';
import { wallNow } from '../time/wall-clock.js';
import type { OutDrain } from './out-drain.js';

const PUMP_SLEEP_MS = 50;
const IDLE_SWEEP_MS = 100;

export interface PumpOptions {
  partitions: number;
  outOfOrderness: number;
  idleTimeout: number;
}

/**
 * The main thread's consumer loop: drains the out-rings to the sinks, wakes
 * sources waiting for ring space and sends watermarks to idle partitions,
 * sleeping on the main doorbell (Atomics.waitAsync) when there is nothing to
 * do. It never blocks the main thread.
 */
export class Pump {
  /** The source that drives watermarks (it has watermark(): several ordered inputs), if any. */
  watermarkSource: Source | undefined;
  /**
   * That source drives each partition on its own (Source.partitionWatermark,
   * --changelog): nothing is broadcast, and idle partitions are not advanced
   * (a partition's windows fire on its own records only, so its results are
   * the same whoever reads it, and however fast the others go).
   */
  perPartition = false;
  private stopped = false;
  private readonly sentWatermark: Float64Array;
  /** Per partition, the largest watermark its input reported (perPartition). */
  private readonly wantWatermark: Float64Array;
  /** Largest watermark that source reported (what every partition is sent). */
  private sourceWatermark = -Infinity;
  private lastIdleSweep = 0;
  /** How the pump waits: never blocking the main thread. */
  private readonly idle: AsyncSleep;
  private readonly ready = (): boolean => this.drain.hasData() || this.stopped;

  constructor(
    bell: Doorbell,
    private readonly drain: OutDrain,
    private readonly writer: PartitionedWriter,
    /** Waited for while the drain is blocked on a full sink. */
    private readonly sinksDrained: () => Promise<unknown>,
    private readonly o: PumpOptions,
    private readonly running: () => boolean,
  ) {
    this.idle = new AsyncSleep(bell);
    this.sentWatermark = new Float64Array(o.partitions).fill(-Infinity);
    this.wantWatermark = new Float64Array(o.partitions).fill(-Infinity);
  }

  /** The loop ends at its next turn (the caller rings the main doorbell to make that now). */
  stop(): void {
    this.stopped = true;
  }

  /**
   * A rewind replaced the state the watermarks sent so far were for: the new
   * state starts without one (or with its snapshot's), so any partition may
   * be sent a watermark again, lower ones included.
   */
  forgetWatermarks(): void {
    this.sentWatermark.fill(-Infinity);
    this.wantWatermark.fill(-Infinity);
    this.sourceWatermark = -Infinity;
  }

  async run(): Promise<void> {
    while (!this.stopped) {
      const now = wallNow();
      const { frames, blocked } = this.drain.drain(now);
      this.writer.wakeWaiters();
      if (blocked) await this.sinksDrained();
      if (now - this.lastIdleSweep >= IDLE_SWEEP_MS) this.sendIdleWatermarks(now);
      if (frames > 0) {
        await yieldToLoop();
        continue;
      }
      this.writer.wakeWaiters();
      await this.idle.waitFor(this.ready, PUMP_SLEEP_MS);
    }
  }

  /**
   * Partitions that got no record for idleTimeout receive the source's
   * watermark (its largest event time minus the bound), so their windows do
   * not wait forever. Skipped while a source is paused on a full ring: that
   * silence is backpressure, not idleness.
   *
   * With a source that drives watermarks, no partition gets more than that
   * source's watermark (its largest event time is one fast input's, not the
   * source's progress): the sweep asks the source again instead (its idle
   * inputs stop holding back) and retries rings that were full.
   */
  private sendIdleWatermarks(now: number): void {
    this.lastIdleSweep = now;
    if (this.watermarkSource) {
      if (this.perPartition) this.retryPartitionWatermarks();
      else this.raiseWatermark(this.watermarkSource.watermark!());
      return;
    }
    const w = this.writer;
    if (w.waiting > 0 || !this.running() || w.maxEventTime === -Infinity) return;
    const wm = w.maxEventTime - this.o.outOfOrderness;
    for (let p = 0; p < this.sentWatermark.length; p++) {
      if (now - w.lastWrite[p]! >= this.o.idleTimeout && wm > this.sentWatermark[p]!) {
        if (w.writeWatermark(p, wm)) this.sentWatermark[p] = wm;
      }
    }
  }

  /**
   * Source-driven watermarks: every partition not sent `t` yet gets it, in
   * band behind the records written so far (which it accounts for). Only ever
   * raised; a full ring gets it from the next sweep — later, which is safe: a
   * record written meanwhile below `t` was late on its own input already.
   */
  raiseWatermark(t: number): void {
    if (this.perPartition) return;
    if (t > this.sourceWatermark) this.sourceWatermark = t;
    const wm = this.sourceWatermark;
    if (wm === -Infinity || !this.running()) return;
    const sent = this.sentWatermark;
    for (let p = 0; p < sent.length; p++) {
      if (wm > sent[p]! && this.writer.writeWatermark(p, wm)) sent[p] = wm;
    }
  }

  /** Per-partition watermarks (perPartition): partition `p`'s input reached `t`; a full ring gets it from the next sweep. */
  raisePartitionWatermark(p: number, t: number): void {
    if (t > this.wantWatermark[p]!) this.wantWatermark[p] = t;
    const wm = this.wantWatermark[p]!;
    if (wm > this.sentWatermark[p]! && this.running() && this.writer.writeWatermark(p, wm)) this.sentWatermark[p] = wm;
  }

  private retryPartitionWatermarks(): void {
    for (let p = 0; p < this.sentWatermark.length; p++) this.raisePartitionWatermark(p, -Infinity);
  }
}
