// Builds the StatsSnapshot from the shared counters (read without messages),
// the engine's callbacks (ring occupancy, sources) and the hub's merged
// histograms. Called per request / per WebSocket tick; cheap: percentiles
// are cached by the histograms until new data arrives. Full percentile
// distributions (one pass over a histogram's buckets each, cached the same
// way) only when asked for: /api/stats asks, the 1/s /ws/stats push does not.
import {
  P_MAX_EVENT_TIME, P_RECORDS_IN, P_RECORDS_PROCESSED, P_WATERMARK,
  W_BATCHES, W_KEYS, W_LATE, W_OPEN_WINDOWS, W_PEAK_OPEN_WINDOWS, W_STATE_BYTES, W_RESULTS_OUT, W_SPIN_GATE, W_WATERMARK,
} from './counters.js';
import type { HubSources, HubView, ThreadGc } from './hub-state.js';
import { GC_KINDS, STAGES, type GcKind, type Stage } from './stages.js';
import {
  PAUSE_BUCKETS_MS, SNAPSHOT_VERSION,
  type GcKindStats, type GcThreadStats, type PartitionStats, type Quantiles, type SnapshotOptions, type StageLatency, type StatsSnapshot,
  type WorkerStats,
} from './stats-snapshot.js';
import { detectUws } from './uws-impl.js';

export type SnapshotInputs = HubSources;

const US_PER_MS = 1000;
const PAUSE_BUCKETS_US = PAUSE_BUCKETS_MS.map((b) => b * US_PER_MS);

const finite = (x: number): number | null => (Number.isFinite(x) ? x : null);

export function buildSnapshot(inputs: SnapshotInputs, hub: HubView, now: number = hub.clock(),
  options: SnapshotOptions = {}): StatsSnapshot {
  const dist = options.distributions === true;
  const c = inputs.counters;
  const occ = typeof inputs.ringOccupancy === 'function' ? inputs.ringOccupancy() : inputs.ringOccupancy ?? [];
  const main = inputs.mainCounts?.() ?? {};

  const partitions: PartitionStats[] = [];
  let maxEventTime = -Infinity;
  for (let p = 0; p < c.partitions; p++) {
    const et = c.partition(p, P_MAX_EVENT_TIME);
    if (et > maxEventTime) maxEventTime = et;
    partitions.push({
      partition: p,
      worker: inputs.workerOf?.(p) ?? p % c.workers, // SEMANTICS.md: worker = partition % workers (in blocks under --changelog)
      recordsIn: c.partition(p, P_RECORDS_IN),
      recordsProcessed: c.partition(p, P_RECORDS_PROCESSED),
      ringOccupancy: Math.min(1, Math.max(0, occ[p] ?? 0)),
      watermark: finite(c.partition(p, P_WATERMARK)),
    });
  }

  const workers: WorkerStats[] = [];
  for (let w = 0; w < c.workers; w++) {
    const wm = c.worker(w, W_WATERMARK);
    const ok = Number.isFinite(wm);
    workers.push({
      worker: w,
      resultsOut: c.worker(w, W_RESULTS_OUT),
      late: c.worker(w, W_LATE),
      batches: c.worker(w, W_BATCHES),
      openWindows: c.worker(w, W_OPEN_WINDOWS),
      peakOpenWindows: c.worker(w, W_PEAK_OPEN_WINDOWS),
      stateBytes: c.worker(w, W_STATE_BYTES),
      keys: c.worker(w, W_KEYS),
      polling: c.worker(w, W_SPIN_GATE) === 1,
      watermark: ok ? wm : null,
      watermarkLagSeconds: ok && Number.isFinite(maxEventTime) ? Math.max(0, maxEventTime - wm) / 1000 : null,
      watermarkAgeSeconds: ok ? (now - wm) / 1000 : null,
      heap: hub.threads[w + 1]?.heap ?? null,
      lastReport: hub.workerLastReport[w] ?? null,
    });
  }

  const stages = {} as Record<Stage, StageLatency>;
  STAGES.forEach((s, i) => {
    stages[s] = {
      all: hub.latencyAll[i]!.quantiles(), workers: hub.latency[i]!.map((h) => h.quantiles()), interval: hub.lastInterval[i]!,
    };
    if (dist) stages[s].distribution = { all: hub.latencyAll[i]!.distribution(), workers: hub.latency[i]!.map((h) => h.distribution()) };
  });

  return {
    version: SNAPSHOT_VERSION,
    time: now,
    startedAt: hub.startedAt,
    uptimeSeconds: (now - hub.startedAt) / 1000,
    uws: detectUws(),
    totals: {
      recordsIn: c.sumPartitions(P_RECORDS_IN),
      recordsProcessed: c.sumPartitions(P_RECORDS_PROCESSED),
      resultsOut: c.sumWorkers(W_RESULTS_OUT),
      late: c.sumWorkers(W_LATE),
      deadLetter: main.deadLetter ?? 0,
      rejected: main.rejected ?? 0,
    },
    rates: { ...hub.rates },
    partitions,
    workers,
    sources: (inputs.sources?.() ?? []).map((s) => ({
      name: s.name, records: s.records, pauses: s.pauses, pausedSeconds: s.pausedSeconds, ...(s.readsWith ? { readsWith: s.readsWith } : {}),
      ...(s.watermark !== undefined ? { watermark: s.watermark } : {}),
    })),
    latency: {
      unit: 'us', stages,
      sinceMark: hub.markedAt === null ? null
        : { at: hub.markedAt, stages: Object.fromEntries(STAGES.map((s, i) => [s, hub.sinceMark[i]!.quantiles()])) as Record<Stage, Quantiles> },
    },
    gc: { unit: 'ms', threads: hub.threads.map((t) => gcThread(t, dist)) },
    eventLoop: hub.eventLoop,
    server: inputs.server?.() ?? null,
    ingest: inputs.ingest?.() ?? null,
    job: inputs.job?.() ?? null,
    member: inputs.member?.() ?? null,
  };
}

function gcThread(t: ThreadGc, dist: boolean): GcThreadStats {
  const kinds = {} as Record<GcKind, GcKindStats>;
  let count = 0;
  let totalMs = 0;
  GC_KINDS.forEach((k, i) => {
    const h = t.kinds[i]!;
    kinds[k] = { count: h.count, totalMs: h.sum / US_PER_MS, pauseMs: h.quantiles(US_PER_MS) };
    if (dist) kinds[k].distribution = h.distribution(US_PER_MS);
    count += h.count;
    totalMs += h.sum / US_PER_MS;
  });
  return { thread: t.thread, count, totalMs, kinds, pauseBuckets: t.all.bucketCounts(PAUSE_BUCKETS_US), heap: t.heap };
}
