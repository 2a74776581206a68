import type { LatencyRecorder } from '../src/metrics/latency-recorder.js';
import { WorkerMetrics } from '../src/metrics/worker-metrics.js';
import { IO_NOW } from '../src/operators/operator.js';

/**
 * The worker loop's latency stages (with --metrics): queue time per drained
 * batch and process time per pass, from at most one clock read each (see
 * docs/ARCHITECTURE.md, Observability). Without metrics the loop holds no
 * LoopLatency at all, so nothing here runs.
 */
export class LoopLatency {
  readonly metrics: WorkerMetrics;
  private readonly queue: LatencyRecorder;
  private readonly process: LatencyRecorder;

  constructor(worker: number) {
    this.metrics = new WorkerMetrics({ worker });
    this.queue = this.metrics.queue;
    this.process = this.metrics.process;
  }

  /**
   * A batch of `count` records left a ring; ingest[0] and ingest[1] are its oldest and newest ingest times.
   * Queue time of the oldest and newest, each for half the batch: the clock is read per batch, not per record.
   * The batch clock is read from io[IO_NOW] here (a double passed as an argument could be boxed).
   */
  queued(io: Float64Array, ingest: Float64Array, count: number): void {
    const now = io[IO_NOW]!;
    const half = count >> 1;
    this.queue.recordValueWithCount((now - ingest[0]!) * 1000, count - half);
    this.queue.recordValueWithCount((now - ingest[1]!) * 1000, half);
  }

  /**
   * A pass of `records` records that began at io[IO_NOW] ended at `now`. Record k of a pass of n waited
   * about k/n of the pass before its aggregate was updated: spread the pass duration over four
   * quarter-midpoints, a quarter of the records each. One clock read per pass.
   */
  passed(now: number, io: Float64Array, records: number): void {
    const passUs = (now - io[IO_NOW]!) * 1000;
    const q = records >> 2;
    const p = this.process;
    p.recordValueWithCount(passUs * 0.125, records - 3 * q);
    p.recordValueWithCount(passUs * 0.375, q);
    p.recordValueWithCount(passUs * 0.625, q);
    p.recordValueWithCount(passUs * 0.875, q);
  }
}
