import type { ResolvedOptions } from '../options.js';
import type { Counters } from '../metrics/counters.js';
import { MetricsHub } from '../metrics/metrics-hub.js';
import type { JobStats, MemberStats, SourceStats } from '../metrics/stats-snapshot.js';
import { FIRE_EARLY } from '../codec/out-frames.js';
import type { RingBuffer } from '../ring/ring-buffer.js';
import type { Source } from '../io/sources/source.js';
import type { IngestPort } from '../io/sources/ingest-port.js';
import { startHttpServer, type HttpServer, type HttpServerOptions } from '../server/http-server.js';
import { addIngestRoutes, type IngestHooks, type IngestRoutes } from '../server/ingest/ingest-routes.js';
import type { WorkerPool } from './worker-pool.js';
import type { OutDrain } from './out-drain.js';

export interface ObservabilityInputs {
  o: ResolvedOptions;
  /** A test's listen port (0: ephemeral), instead of --http-port. */
  httpListenPort: number | undefined;
  counters: Counters;
  rings: readonly RingBuffer[];
  /** The worker of each partition (the stats' partition table). */
  workerOf: (p: number) => number;
  sources: readonly Source[];
  deadLetters: () => number;
  pool: WorkerPool;
  drain: OutDrain;
  stats: HttpServerOptions['stats'];
  /** A job run's figures (--job), for the stats' job section. */
  job?: () => JobStats;
  /** A scaled-out member's figures (--changelog), for the stats' member section. */
  member?: () => MemberStats | null;
  /** Push ingest and live results (POST /ingest, /ws/ingest, /ws/results): the engine's doors and callbacks. */
  ingest: () => Omit<IngestHooks, 'options'>;
}

/**
 * The run's metrics hub (with --metrics or the HTTP server) and HTTP server
 * (with --http-port): stats, dashboard, histograms, and on the same app push
 * ingest and live results. Each part is kept as soon as it runs, so stop()
 * releases whatever started.
 */
export class Observability {
  hub: MetricsHub | undefined;
  http: HttpServer | undefined;
  private ingest: IngestRoutes | undefined;

  async start(x: ObservabilityInputs): Promise<void> {
    const o = x.o;
    const httpWanted = o.httpPort > 0 || x.httpListenPort !== undefined;
    if (o.metrics || httpWanted) this.hub = startMetricsHub(x);
    if (!httpWanted) return;
    const hub = this.hub;
    this.http = await startHttpServer({
      host: o.httpHost, listenPort: x.httpListenPort ?? o.httpPort, allowedOrigins: o.allowedOrigins,
      stats: x.stats,
      histogram: (stage, w) => hub?.hgrm(stage, w),
    });
    this.ingest = addIngestRoutes(this.http.app, { ...x.ingest(), options: o });
    const routes = this.ingest;
    if (this.hub) this.hub.inputs.ingest = () => routes.stats();
  }

  stop(): void {
    this.hub?.stop();
    this.ingest?.close();
    this.http?.close();
  }
}

/** The metrics hub, started, with the pool's threads attached and the out-drain's emit/early latencies recorded. */
function startMetricsHub(x: ObservabilityInputs): MetricsHub {
  const hub = new MetricsHub({
    counters: x.counters,
    ringOccupancy: () => x.rings.map((r) => r.occupancy()),
    workerOf: x.workerOf,
    sources: () => sourcesStats(x.sources),
    mainCounts: () => ({ deadLetter: x.deadLetters(), rejected: x.sources.reduce((a, s) => a + ((s as IngestPort).rejected ?? 0), 0) }),
    ...(x.job ? { job: x.job } : {}),
    ...(x.member ? { member: x.member } : {}),
  }).start();
  hub.attach(x.pool.piscina);
  const workers = x.o.workers;
  const emitRec = Array.from({ length: workers }, (_, w) => hub.recorder('emit', w));
  const earlyRec = Array.from({ length: workers }, (_, w) => hub.recorder('early', w));
  const outputRec = Array.from({ length: workers }, (_, w) => hub.recorder('output', w));
  // Emit: watermark passed the end (the worker's firing time) → line handed to the sink; early: ingest → sink;
  // output: a job output's newest record's ingest → sink (end to end).
  x.drain.observer = {
    onResult: (w, fire, firedAt, ingest, now) => {
      if (fire === FIRE_EARLY) earlyRec[w]!.recordValue((now - ingest) * 1000);
      else emitRec[w]!.recordValue((now - firedAt) * 1000);
    },
    onOutput: (w, ingest, now) => {
      if (ingest > 0) outputRec[w]!.recordValue((now - ingest) * 1000); // 0: no record behind it (nothing to measure from)
    },
  };
  return hub;
}

/**
 * One entry per source name: the Kafka source counts its records on the
 * ingest port it writes through, which has its name, and says how it reads.
 */
export function sourcesStats(sources: readonly Source[]): SourceStats[] {
  const byName = new Map<string, SourceStats>();
  for (const s of sources) {
    const x = sourceStats(s);
    const seen = byName.get(x.name);
    if (seen === undefined) {
      byName.set(x.name, x);
      continue;
    }
    seen.records += x.records;
    seen.pauses += x.pauses;
    seen.pausedSeconds += x.pausedSeconds;
    if (x.readsWith) seen.readsWith = x.readsWith;
    if (x.watermark !== undefined) seen.watermark = x.watermark;
  }
  return [...byName.values()];
}

function sourceStats(s: Source): SourceStats {
  const wm = s.watermark?.();
  return {
    name: s.name, records: s.records, pauses: s.pauses, pausedSeconds: s.pausedMs / 1000, ...(s.readsWith ? { readsWith: s.readsWith } : {}),
    ...(wm !== undefined ? { watermark: Number.isFinite(wm) ? wm : null } : {}),
  };
}
