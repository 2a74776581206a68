// The one JSON shape behind /api/stats, /metrics, the dashboard (over
// /ws/stats) and `sabre stats`. Units are in the names or stated per field:
// latency in microseconds, GC pauses and event-loop delay in milliseconds,
// times as epoch milliseconds, rates per second. Values that JSON cannot
// hold (a watermark of -Infinity before any data) are null.
import type { GcKind, Stage } from './stages.js';

export const SNAPSHOT_VERSION = 1;

/** Percentile summary of one histogram. */
export interface Quantiles {
  count: number;
  /** Exact sum of the recorded values (for means and Prometheus _sum). */
  sum: number;
  mean: number;
  /** Exact smallest recorded value (0 when empty). */
  min: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  /** Exact largest recorded value (quantile 1; 0 when empty). */
  max: number;
}

/**
 * One point of a percentile distribution, at HdrHistogram's percentile ticks
 * (the rows of the .hgrm text): `count` values are ≤ `value`.
 */
export interface DistributionPoint {
  /** The value at this percentile (the histogram's unit), clamped to the exact min and max. */
  value: number;
  /** 0 … 100: the percentile level iterated to. */
  percentile: number;
  /** Values ≤ value. */
  count: number;
}

export interface HeapSummary {
  usedBytes: number;
  totalBytes: number;
  limitBytes: number;
  externalBytes: number;
}

export type UwsImplementation = 'native' | 'fallback';

export interface UwsInfo {
  implementation: UwsImplementation;
  /** The binary uWebSockets.js loads for this platform/ABI. */
  binary: string;
  /** Why: "loaded", "missing", the load error, or the UWS_USE_FALLBACK flag. */
  detail: string;
}

export interface Totals {
  recordsIn: number;
  recordsProcessed: number;
  resultsOut: number;
  late: number;
  deadLetter: number;
  rejected: number;
}

/** Per-second rates over the last sampling interval. */
export interface Rates {
  intervalSeconds: number;
  recordsIn: number;
  recordsProcessed: number;
  resultsOut: number;
  late: number;
}

export interface PartitionStats {
  partition: number;
  worker: number;
  recordsIn: number;
  recordsProcessed: number;
  /** Fraction of the ring's bytes in use, 0 … 1. */
  ringOccupancy: number;
  /** Event-time watermark, epoch ms (null before any data). */
  watermark: number | null;
}

export interface WorkerStats {
  worker: number;
  resultsOut: number;
  late: number;
  batches: number;
  openWindows: number;
  /** Most window states the worker held at once during the run. */
  peakOpenWindows: number;
  /** Bytes of the worker's key table, window slots and timers (typed arrays; user accumulators not included). */
  stateBytes: number;
  keys: number;
  /**
   * Whether the worker, when idle, polls its rings before sleeping: --spin > 0,
   * or auto spin while the machine leaves our threads their cores (docs/ARCHITECTURE.md, Waiting).
   */
  polling: boolean;
  /** Min watermark over the worker's partitions, epoch ms (null before data). */
  watermark: number | null;
  /**
   * Event-time lag: the largest event time the engine has seen (over all
   * partitions) minus this worker's watermark, in seconds. Meaningful for
   * simulated and real clocks alike; grows when a worker falls behind or a
   * partition holds its watermark back.
   */
  watermarkLagSeconds: number | null;
  /** Processing-time lag: wall clock minus the watermark, in seconds (real-time sources only). */
  watermarkAgeSeconds: number | null;
  /** Heap of the worker's thread as of its last metrics report (null before the first). */
  heap: HeapSummary | null;
  /** Epoch ms of the worker's last metrics report (null before the first). */
  lastReport: number | null;
}

export interface SourceStats {
  name: string;
  records: number;
  pauses: number;
  pausedSeconds: number;
  /** How the source reads (the Kafka source: "Sabre's record batch decoder" or "kafkajs's own record decoder"). */
  readsWith?: string;
  /**
   * A source that drives watermarks (Kafka): its watermark now, epoch ms —
   * the minimum over its non-idle inputs of max event time − bound (null: none yet).
   */
  watermark?: number | null;
}

export interface StageLatency {
  /** Since the start, merged over all workers. */
  all: Quantiles;
  /** Since the start, indexed by worker. */
  workers: Quantiles[];
  /** Merged over all workers, for the snapshots that arrived in the last closed interval (for charts over time). */
  interval: Quantiles;
  /** Full percentile distributions since the start, µs (only in /api/stats: not pushed over /ws/stats). */
  distribution?: { all: DistributionPoint[]; workers: DistributionPoint[][] };
}

export interface GcKindStats {
  count: number;
  totalMs: number;
  pauseMs: Quantiles;
  /** Full percentile distribution of the pauses, ms (only in /api/stats: not pushed over /ws/stats). */
  distribution?: DistributionPoint[];
}

export interface GcThreadStats {
  /** "main" or "worker-N". */
  thread: string;
  count: number;
  totalMs: number;
  kinds: Record<GcKind, GcKindStats>;
  /** Pause-length histogram over all kinds: counts[i] pauses ≤ PAUSE_BUCKETS_MS[i] (and > the previous bound). */
  pauseBuckets: number[];
  heap: HeapSummary | null;
}

/** Upper bounds (ms) of GcThreadStats.pauseBuckets; the last bucket is everything longer. */
export const PAUSE_BUCKETS_MS = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 50, 100, Infinity] as const;

export interface EventLoopStats {
  /** Event-loop delay of the main thread over the last interval, ms. */
  minMs: number;
  meanMs: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Event-loop utilisation of the main thread over the last interval, 0 … 1. */
  utilization: number;
}

export interface ServerStats {
  wsClients: number;
  wsFramesSent: number;
  /** Frames not sent to a client whose buffered amount was over the limit. */
  wsFramesSkipped: number;
  /** /ws/stats upgrades refused with 403: a browser's Origin that is not allowed (--allowed-origins). */
  wsForbidden403: number;
  /**
   * Sequence number of the /ws/stats push this snapshot went out in (0: not
   * pushed, e.g. a plain /api/stats). `/api/stats?push=N` returns push N
   * exactly, while it is among the last few.
   */
  push: number;
}

/** POST /ingest counters (responses by status code). */
export interface HttpIngestStats {
  requests: number;
  accepted202: number;
  /** Requests refused with 400: a body with neither Content-Length nor Transfer-Encoding: chunked. */
  badRequest400: number;
  unauthorized401: number;
  /** Requests refused with 403: an Origin (a browser's request) from neither the dashboard's own origin nor --allowed-origins. */
  forbidden403: number;
  tooLarge413: number;
  unsupported415: number;
  /** Requests answered 503 because a ring stayed full (or the engine was stopping). */
  unavailable503: number;
  /** Records of those requests that were not accepted (also counted in totals.rejected). */
  recordsNotAccepted: number;
  aborted: number;
  /** Requests waiting for ring space right now. */
  waiting: number;
}

/** WS /ws/ingest counters. */
export interface WsIngestStats {
  clients: number;
  frames: number;
  /** Clients closed with 4008 "credit exceeded". */
  creditViolations: number;
  /** Clients closed with 1009: a frame over --max-body. */
  tooLarge1009: number;
  /** Upgrades refused with 401: --auth-token set and the bearer token missing or wrong. */
  unauthorized401: number;
  /** Upgrades refused with 403: a browser's Origin that is not allowed (--allowed-origins). */
  forbidden403: number;
  /** Upgrades refused with 503: the engine is stopping (or not running). */
  unavailable503: number;
  /** Frames waiting for ring space right now, over all clients. */
  queuedFrames: number;
}

/** WS /ws/results counters. */
export interface WsResultsStats {
  clients: number;
  framesSent: number;
  resultsSent: number;
  /** Subscribers closed with 4009 "too slow". */
  slowDisconnects: number;
  /** Upgrades refused with 401: --auth-token set and the bearer token missing or wrong. */
  unauthorized401: number;
  /** Upgrades refused with 403: a browser's Origin that is not allowed (--allowed-origins). */
  forbidden403: number;
  /** Upgrades refused with 503: the engine is stopping (or not running). */
  unavailable503: number;
}

/** Push ingest on the HTTP server (POST /ingest, /ws/ingest, /ws/results). */
export interface IngestStats {
  http: HttpIngestStats;
  ws: WsIngestStats;
  results: WsResultsStats;
}

/** One sink of a job run (--job). */
export interface JobSinkStats {
  /** The sink's name in the job ('' for the default sink, which --sink replaces). */
  name: string;
  /** Where it writes, as --sink spells it (flags over the module's own). */
  target: string;
  /** Outputs handed to it so far. */
  outputs: number;
}

/** One stage of a job run and what it passed on, summed over workers. */
export interface JobStageStats {
  /** Its branch (0-based, in the module's export order). */
  branch: number;
  /** What it is: `filter`, `map`, `lookup PATH as FIELD`, `to SINK`, or the keyed stage (`tumbling:1000ms [n,total]`, `process`). */
  stage: string;
  /** The job file and line of the call that added it. */
  where: string;
  /** Records it passed on (a filter: those it kept); for the keyed stage, the window results or process outputs it emitted. */
  out: number;
}

/** What a job run (--job) runs, and its outputs. */
export interface JobStats {
  /** The job module's path. */
  module: string;
  /** The run line: `job MODULE: SOURCE → BRANCH + BRANCH → SINK, NAME: TARGET…`. */
  pipeline: string;
  /** Each branch's keyed stage: its window and aggregates, `process` or `stateless`. */
  branches: string[];
  /**
   * Every stage, per branch in order: the stages before the keyed stage,
   * the keyed stage, the stages after it. Each branch sees every record
   * processed (totals.recordsProcessed).
   */
  stages: JobStageStats[];
  /** The default sink first, then the named sinks in the job's order. */
  sinks: JobSinkStats[];
  /** Records a job function threw on, dead-lettered (--on-user-error dead-letter; also in totals.deadLetter). */
  userFunctionDeadLetters: number;
  /**
   * Lookup table reloads that failed, summed over workers (each kept its
   * previous table: a file edited into bad JSON, say), and checkpoint table
   * copies a restore did not find (the table as it is now was used).
   */
  lookupReloadErrors: number;
}

/** One restore of a scaled-out member (--changelog): an assignment's partitions loaded from the changelog. */
export interface MemberRestoreStats {
  /** The member's assignment this restore was for (1: its first). */
  generation: number;
  partitions: number[];
  /** Partitions that had state in the changelog, and its bytes (read from Kafka). */
  withState: number;
  /** Partitions kept from the checkpoint this member committed just before re-joining (read from its checkpoint dir). */
  kept: number;
  bytes: number;
  /** Reading the changelog, and the engine's rewind to it, ms. */
  readMs: number;
  rewindMs: number;
  /** When it finished, epoch ms. */
  at: number;
}

/** One member of the consumer group, as the group coordinator last described it. */
export interface GroupMemberStats {
  memberId: string;
  clientId: string;
  host: string;
  /** Partitions of the job's topic it holds, ascending. */
  partitions: number[];
}

/** The changelog's cost so far: checkpoints whose state was written, its bytes and messages, the last write. */
export interface ChangelogStats {
  checkpoints: number;
  bytes: number;
  messages: number;
  /** The last checkpoint's write, ms (reading its files and every send acknowledged). */
  lastWriteMs: number;
}

/** This process as a member of a scaled-out job (--changelog, docs/SCALING.md). */
export interface MemberStats {
  group: string;
  topic: string;
  changelogTopic: string;
  /** This member's id in the group (null before its first join). */
  memberId: string | null;
  /** Assignments this member has seen (each one a rewind to its partitions' committed state). */
  generation: number;
  /** Partitions assigned now, ascending. */
  assigned: number[];
  restores: {
    count: number;
    /** Partitions restored, summed over restores. */
    partitions: number;
    bytes: number;
    totalMs: number;
    /** The newest restores, oldest first (at most 32). */
    recent: MemberRestoreStats[];
  };
  /** The engine's rewinds: the last one's duration, and results of undone work they dropped. */
  lastRewindMs: number;
  rewoundResults: number;
  changelog: ChangelogStats;
  /** The transactional sink's transactions: committed, aborted by rewinds, commits refused while fenced by a rebalance. */
  transactions: { commits: number; aborts: number; fencedCommits: number };
  /** The group's members, polled every ~2 s off the hot path (empty before the first answer). */
  members: GroupMemberStats[];
  /** When `members` was taken, epoch ms (null: not yet). */
  membersAt: number | null;
  /** Why the newest poll failed (the view is then the last good one), or null. */
  membersError: string | null;
}

export interface StatsSnapshot {
  version: typeof SNAPSHOT_VERSION;
  /** When the snapshot was built, epoch ms. */
  time: number;
  startedAt: number;
  uptimeSeconds: number;
  uws: UwsInfo;
  totals: Totals;
  rates: Rates;
  partitions: PartitionStats[];
  workers: WorkerStats[];
  sources: SourceStats[];
  latency: {
    unit: 'us';
    stages: Record<Stage, StageLatency>;
    /** Per stage over all workers since engine.markLatency() (steady state after a warm-up); null before any mark. */
    sinceMark: { at: number; stages: Record<Stage, Quantiles> } | null;
  };
  gc: { unit: 'ms'; threads: GcThreadStats[] };
  eventLoop: EventLoopStats | null;
  server: ServerStats | null;
  /** Push ingest counters; null when the HTTP server (and with it ingest) is off. */
  ingest: IngestStats | null;
  /** The job module a --job run runs, its sinks' output counts and user-function dead letters; null for other runs. */
  job: JobStats | null;
  /** This process as a member of a scaled-out job (--changelog); null for other runs. */
  member: MemberStats | null;
}

/** What a snapshot carries beyond the figures every consumer needs. */
export interface SnapshotOptions {
  /** Add the full percentile distributions (StageLatency.distribution, GcKindStats.distribution). Default false. */
  distributions?: boolean;
}

/** The value of a Quantiles at one of QUANTILES (0.5 … 1). */
export function quantileOf(q: Quantiles, p: number): number {
  if (p >= 1) return q.max;
  if (p >= 0.999) return q.p999;
  if (p >= 0.99) return q.p99;
  if (p >= 0.9) return q.p90;
  return q.p50;
}
