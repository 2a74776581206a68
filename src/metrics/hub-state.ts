// What the snapshot builder reads of the metrics hub, declared apart from
// MetricsHub so that snapshot-builder.ts does not import metrics-hub.ts
// (which calls it).
import { CumulativeHistogram } from './cumulative-histogram.js';
import type { Clock } from './latency-recorder.js';
import { GC_KINDS } from './stages.js';
import type { EventLoopStats, HeapSummary, IngestStats, JobStats, MemberStats, Quantiles, Rates, ServerStats, SourceStats } from './stats-snapshot.js';
import type { Counters } from './counters.js';

/** Where the hub reads what is not in its own histograms. */
export interface HubSources {
  counters: Counters;
  /** Ring occupancy (0 … 1) per partition: an array the engine keeps current, or a callback. */
  ringOccupancy?: readonly number[] | (() => readonly number[]);
  /** The worker of each partition (Partitioner.workerOfPartition); partition % workers when absent. */
  workerOf?: (p: number) => number;
  /** Source backpressure records. */
  sources?: () => readonly SourceStats[];
  /** Counts kept on the main thread, outside the shared counters. */
  mainCounts?: () => { deadLetter?: number; rejected?: number };
  /** WebSocket figures of the HTTP server (set once the server runs). */
  server?: () => ServerStats | null;
  /** Push-ingest counters of the HTTP server (set once its ingest routes exist). */
  ingest?: () => IngestStats | null;
  /** A job run's figures (--job). */
  job?: () => JobStats | null;
  /** A scaled-out member's figures (--changelog). */
  member?: () => MemberStats | null;
}

/** GC histograms of one thread. */
export class ThreadGc {
  readonly kinds = GC_KINDS.map(() => new CumulativeHistogram());
  /** All kinds together (for the pause-length buckets). */
  readonly all = new CumulativeHistogram();
  heap: HeapSummary | null = null;
  unknown = 0;
  constructor(readonly thread: string) {}
}

/** The parts of MetricsHub that buildSnapshot reads. */
export interface HubView {
  readonly startedAt: number;
  readonly clock: Clock;
  /** latency[stage][worker], µs. */
  readonly latency: readonly CumulativeHistogram[][];
  /** latencyAll[stage]: merged over workers, µs. */
  readonly latencyAll: readonly CumulativeHistogram[];
  /** Per stage over all workers since the last markLatency() (µs). */
  readonly sinceMark: readonly CumulativeHistogram[];
  /** Wall clock (epoch ms) of the last markLatency(), null before the first. */
  readonly markedAt: number | null;
  /** Quantiles of the last closed interval, per stage over all workers (µs). */
  readonly lastInterval: readonly Quantiles[];
  /** "main", then "worker-0" … */
  readonly threads: readonly ThreadGc[];
  readonly workerLastReport: readonly (number | null)[];
  readonly rates: Rates;
  readonly eventLoop: EventLoopStats | null;
}
