// Main-thread side of the metrics: merges the workers' interval snapshots
// into run-long histograms per stage × worker (and over all workers), keeps
// GC pauses per thread (the main thread's own via its GcMonitor), samples
// the shared counters once per interval for rates, and builds the
// StatsSnapshot everything else renders.
import { P_RECORDS_IN, P_RECORDS_PROCESSED, W_LATE, W_RESULTS_OUT } from './counters.js';
import { CumulativeHistogram, EMPTY_QUANTILES } from './cumulative-histogram.js';
import { EventLoopMonitor } from './event-loop-monitor.js';
import { GcMonitor, heapSummary } from './gc-monitor.js';
import { LatencyRecorder, wallClock, type Clock } from './latency-recorder.js';
import { GC_BLOCK_BASE, decodeSnapshot, isMetricsMessage } from './snapshot-codec.js';
import { GC_KINDS, STAGES, isStage, type Stage } from './stages.js';
import type { EventLoopStats, Quantiles, Rates, SnapshotOptions, StatsSnapshot } from './stats-snapshot.js';
import { buildSnapshot } from './snapshot-builder.js';
import { ThreadGc, type HubSources, type HubView } from './hub-state.js';

export { buildSnapshot };
export type { SnapshotInputs } from './snapshot-builder.js';

export interface MetricsHubOptions extends HubSources {
  clock?: Clock;
  /** Rate-sampling / main-thread GC / event-loop interval, ms (default 1000). */
  intervalMs?: number;
  /** Watch the main thread's GC and event loop (default true). */
  mainThread?: boolean;
}

interface CounterSample {
  at: number;
  recordsIn: number;
  recordsProcessed: number;
  resultsOut: number;
  late: number;
}

export class MetricsHub implements HubView {
  /** Mutable: e.g. set `server` once the HTTP server runs. */
  readonly inputs: HubSources;
  readonly workers: number;
  readonly startedAt: number;
  readonly clock: Clock;
  /** latency[stage][worker], µs. */
  readonly latency: CumulativeHistogram[][];
  /** latencyAll[stage]: merged over workers, µs. */
  readonly latencyAll: CumulativeHistogram[];
  /** Per stage over all workers since the last markLatency() (µs): steady-state figures after a warm-up. */
  readonly sinceMark: CumulativeHistogram[];
  /** Wall clock (epoch ms) of the last markLatency(), null before the first. */
  markedAt: number | null = null;
  /** What arrived since the last tick, per stage over all workers (µs). */
  private readonly recent: CumulativeHistogram[];
  /** Quantiles of the last closed interval, per stage over all workers (µs). */
  readonly lastInterval: Quantiles[];
  /** "main", then "worker-0" … */
  readonly threads: ThreadGc[];
  readonly workerLastReport: (number | null)[];
  /** Snapshots merged, and messages that looked like snapshots but were not valid. */
  messages = 0;
  badMessages = 0;
  /** Recorders for stages measured on the main thread (e.g. emit: the sink is written here), [stage][worker]. */
  private readonly mainRecorders: (LatencyRecorder | undefined)[][];
  private readonly intervalMs: number;
  private readonly gc: GcMonitor | undefined;
  private readonly loop: EventLoopMonitor | undefined;
  private timer: NodeJS.Timeout | undefined;
  private prev: CounterSample;
  private lastRates: Rates;

  constructor(options: MetricsHubOptions) {
    const { clock, intervalMs, mainThread, ...inputs } = options;
    this.inputs = inputs;
    this.clock = clock ?? wallClock;
    this.intervalMs = intervalMs ?? 1000;
    this.workers = inputs.counters.workers;
    this.startedAt = this.clock();
    this.latency = STAGES.map(() => Array.from({ length: this.workers }, () => new CumulativeHistogram()));
    this.latencyAll = STAGES.map(() => new CumulativeHistogram());
    this.recent = STAGES.map(() => new CumulativeHistogram());
    this.sinceMark = STAGES.map(() => new CumulativeHistogram());
    this.lastInterval = STAGES.map(() => ({ ...EMPTY_QUANTILES }));
    this.threads = [new ThreadGc('main'), ...Array.from({ length: this.workers }, (_, w) => new ThreadGc(`worker-${w}`))];
    this.workerLastReport = new Array<number | null>(this.workers).fill(null);
    this.mainRecorders = STAGES.map(() => new Array<LatencyRecorder | undefined>(this.workers).fill(undefined));
    if (mainThread !== false) {
      this.gc = new GcMonitor({ mode: 'observer', clock: this.clock });
      this.loop = new EventLoopMonitor();
    }
    this.prev = this.sample(this.startedAt);
    this.lastRates = { intervalSeconds: 0, recordsIn: 0, recordsProcessed: 0, resultsOut: 0, late: 0 };
  }

  /** Start the main-thread monitors and the interval timer (unref'd: it never keeps the process alive). */
  start(): this {
    this.gc?.start();
    this.loop?.start();
    if (!this.timer) {
      this.timer = setInterval(() => this.tick(), this.intervalMs);
      this.timer.unref();
    }
    this.threads[0]!.heap = heapSummary();
    return this;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.tick();
    this.gc?.stop();
    this.loop?.stop();
  }

  /** Feed every 'message' of a worker, MessagePort or Piscina pool into ingest(). */
  attach(emitter: { on(event: 'message', listener: (m: unknown) => void): unknown }): void {
    emitter.on('message', (m) => { this.ingest(m); });
  }

  /** Merge one worker snapshot message; false if `msg` is not one (other messages pass through untouched). */
  ingest(msg: unknown): boolean {
    if (!isMetricsMessage(msg)) return false;
    const s = decodeSnapshot(msg.buf);
    if (!s || !(s.worker >= 0 && s.worker < this.workers) || !Number.isInteger(s.worker)) {
      this.badMessages++;
      return false;
    }
    const w = s.worker;
    const t = this.threads[w + 1]!;
    for (const b of s.blocks) {
      if (b.id < STAGES.length) {
        this.latency[b.id]![w]!.addBlock(b);
        this.latencyAll[b.id]!.addBlock(b);
        this.recent[b.id]!.addBlock(b);
        this.sinceMark[b.id]!.addBlock(b);
      } else if (b.id >= GC_BLOCK_BASE && b.id < GC_BLOCK_BASE + GC_KINDS.length) {
        t.kinds[b.id - GC_BLOCK_BASE]!.addBlock(b);
        t.all.addBlock(b);
      }
    }
    t.heap = s.heap;
    t.unknown += s.gcUnknown;
    this.workerLastReport[w] = s.endMs;
    this.messages++;
    return true;
  }

  /**
   * A recorder on the main thread for a stage measured there, attributed to
   * `worker` (e.g. emit: the result frame came from worker w's out-ring and
   * reached the sink here). Record into it without allocating; tick() swaps
   * it and merges the interval like a worker snapshot. Keep the reference.
   */
  recorder(stage: Stage, worker: number): LatencyRecorder {
    const s = STAGES.indexOf(stage);
    if (s < 0 || !(worker >= 0 && worker < this.workers)) throw new RangeError(`no stage ${stage} / worker ${worker}`);
    const row = this.mainRecorders[s]!;
    return (row[worker] ??= new LatencyRecorder(this.clock));
  }

  /** Close an interval: main-thread GC, stage recorders and event loop, counter rates. Runs on the timer; tests call it directly. */
  tick(now: number = this.clock()): void {
    this.mergeMainRecorders();
    if (this.gc) {
      this.gc.poll();
      const main = this.threads[0]!;
      this.gc.kinds.forEach((r, k) => {
        const iv = r.swap();
        main.kinds[k]!.addInterval(iv);
        main.all.addInterval(iv);
      });
      main.unknown += this.gc.unknown;
      this.gc.unknown = 0;
      main.heap = heapSummary();
    }
    this.loop?.roll();
    this.recent.forEach((h, i) => {
      this.lastInterval[i] = h.quantiles();
      h.reset();
    });
    const cur = this.sample(now);
    const dt = (cur.at - this.prev.at) / 1000;
    if (dt > 0) {
      this.lastRates = {
        intervalSeconds: dt,
        recordsIn: (cur.recordsIn - this.prev.recordsIn) / dt,
        recordsProcessed: (cur.recordsProcessed - this.prev.recordsProcessed) / dt,
        resultsOut: (cur.resultsOut - this.prev.resultsOut) / dt,
        late: (cur.late - this.prev.late) / dt,
      };
      this.prev = cur;
    }
  }

  /** Merge what the main-thread stage recorders (emit, early) hold. */
  private mergeMainRecorders(): void {
    this.mainRecorders.forEach((row, s) => row.forEach((r, w) => {
      if (!r || r.pending === 0) return;
      const iv = r.swap();
      this.latency[s]![w]!.addInterval(iv);
      this.latencyAll[s]!.addInterval(iv);
      this.recent[s]!.addInterval(iv);
      this.sinceMark[s]!.addInterval(iv);
    }));
  }

  private sample(at: number): CounterSample {
    const c = this.inputs.counters;
    return {
      at, recordsIn: c.sumPartitions(P_RECORDS_IN), recordsProcessed: c.sumPartitions(P_RECORDS_PROCESSED),
      resultsOut: c.sumWorkers(W_RESULTS_OUT), late: c.sumWorkers(W_LATE),
    };
  }

  get rates(): Rates {
    return this.lastRates;
  }

  get eventLoop(): EventLoopStats | null {
    return this.loop?.stats() ?? null;
  }

  /**
   * Start the since-mark histograms afresh (e.g. after a warm-up). The split
   * falls on snapshot boundaries: what a worker recorded before the mark but
   * posts after it (at most one flush interval, 1 s) counts as after.
   */
  markLatency(now: number = this.clock()): void {
    this.mergeMainRecorders(); // what the main thread recorded up to now goes before the mark
    for (const h of this.sinceMark) h.reset();
    this.markedAt = now;
  }

  /** Cumulative histogram of a stage, for one worker or merged ('all'); undefined for an unknown stage/worker. */
  histogram(stage: string, worker: number | 'all' = 'all'): CumulativeHistogram | undefined {
    if (!isStage(stage)) return undefined;
    const s = STAGES.indexOf(stage as Stage);
    return worker === 'all' ? this.latencyAll[s] : this.latency[s]![worker];
  }

  /** HdrHistogram percentile-distribution text of a stage, in milliseconds (undefined: unknown stage). */
  hgrm(stage: string, worker: number | 'all' = 'all'): string | undefined {
    return this.histogram(stage, worker)?.hgrm(1000);
  }

  /** The snapshot of everything now (with the full percentile distributions if asked). */
  snapshot(now: number = this.clock(), options: SnapshotOptions = {}): StatsSnapshot {
    return buildSnapshot(this.inputs, this, now, options);
  }
}
