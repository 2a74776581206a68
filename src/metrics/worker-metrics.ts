// Worker side of the metrics: per-stage latency recorders and a GC monitor
// that work in a thread whose event loop never turns. The worker cannot
// receive messages, but it can post them: once per interval (checked with
// one comparison per loop pass) it swaps every recorder, encodes the
// interval into one ArrayBuffer and transfers it to the main thread.
import { parentPort } from 'node:worker_threads';
import { GcMonitor, heapSummary } from './gc-monitor.js';
import { LatencyRecorder, wallClock, type Clock, type IntervalCounts } from './latency-recorder.js';
import { METRICS_MESSAGE, encodeSnapshot, type MetricsMessage } from './snapshot-codec.js';
import { STAGES, STAGE_EARLY, STAGE_EMIT, STAGE_PROCESS, STAGE_QUEUE } from './stages.js';

/** Anything with MessagePort's postMessage (a MessagePort, parentPort, a test double). */
export interface MetricsPort {
  postMessage(message: MetricsMessage, transferList: ArrayBuffer[]): void;
}

export interface WorkerMetricsOptions {
  worker: number;
  /** Where snapshots go. Default: this thread's parentPort (Piscina re-emits it as the pool's 'message' event). */
  port?: MetricsPort;
  /** Snapshot interval, ms. Default 1000. */
  intervalMs?: number;
  clock?: Clock;
  /** Watch GC pauses with a polled v8.GCProfiler (default true). */
  gc?: boolean;
}

export class WorkerMetrics {
  readonly worker: number;
  /** Indexed like STAGES. Hot paths should keep a direct reference (e.g. `const q = m.queue`). */
  readonly stages: LatencyRecorder[];
  readonly queue: LatencyRecorder;
  readonly process: LatencyRecorder;
  readonly emit: LatencyRecorder;
  readonly early: LatencyRecorder;
  readonly gc: GcMonitor | undefined;
  /** Snapshots posted so far. */
  flushes = 0;
  private readonly port: MetricsPort | undefined;
  private readonly intervalMs: number;
  private readonly clock: Clock;
  private nextFlush: number;
  private closed = false;

  constructor(options: WorkerMetricsOptions) {
    this.worker = options.worker;
    this.clock = options.clock ?? wallClock;
    this.intervalMs = options.intervalMs ?? 1000;
    this.port = options.port ?? (parentPort as MetricsPort | null) ?? undefined;
    this.stages = STAGES.map(() => new LatencyRecorder(this.clock));
    this.queue = this.stages[STAGE_QUEUE]!;
    this.process = this.stages[STAGE_PROCESS]!;
    this.emit = this.stages[STAGE_EMIT]!;
    this.early = this.stages[STAGE_EARLY]!;
    this.gc = options.gc === false ? undefined : new GcMonitor({ mode: 'profiler', clock: this.clock }).start();
    this.nextFlush = this.clock() + this.intervalMs;
  }

  /**
   * Call once per loop pass with the time the loop already read: posts a
   * snapshot when the interval has elapsed, otherwise costs one comparison.
   */
  maybeFlush(nowMs: number): void {
    if (nowMs >= this.nextFlush) this.flush(nowMs);
  }

  /** Ms until the next snapshot is due (so a sleeping worker can bound its wait). */
  untilFlush(nowMs: number): number {
    return this.nextFlush - nowMs;
  }

  /** Swap every recorder and post the interval snapshot now. */
  flush(nowMs: number = this.clock()): void {
    if (this.closed) return;
    this.nextFlush = nowMs + this.intervalMs;
    this.gc?.poll();
    const stages = this.stages.map((r) => r.swap());
    const gc: IntervalCounts[] = this.gc ? this.gc.kinds.map((r) => r.swap()) : [];
    const gcUnknown = this.gc?.unknown ?? 0;
    if (this.gc) this.gc.unknown = 0;
    const buf = encodeSnapshot({
      worker: this.worker, startMs: stages[0]!.startMs, endMs: stages[0]!.endMs, heap: heapSummary(), gcUnknown,
    }, stages, gc);
    this.flushes++;
    this.port?.postMessage({ type: METRICS_MESSAGE, buf }, [buf]);
  }

  /** Final snapshot; stops the GC monitor. Call after the loop ends (e.g. at END). */
  close(): void {
    if (this.closed) return;
    this.flush();
    this.closed = true;
    this.gc?.stop();
  }
}
