// Prometheus text for /metrics, through prom-client with a private Registry.
// Every family reads the StatsSnapshot being rendered: counters and gauges
// through prom-client's collect() hook, the two latency/pause families
// through a Summary whose get() reports the HDR percentiles (prom-client's
// own Summary would need observe() per value; ours come from merged HDR
// snapshots). Rendering happens per scrape only and allocates nothing
// between scrapes.
import { Counter, Gauge, Registry, Summary } from 'prom-client';
import { QUANTILES } from './stages.js';
import { quantileOf, type MemberStats, type Quantiles, type StatsSnapshot } from './stats-snapshot.js';

export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

interface SummaryRow {
  labels: Record<string, string>;
  q: Quantiles;
}

/** A summary-shaped family whose quantiles, _sum and _count come from a snapshot. */
class SnapshotSummary extends Summary<string> {
  constructor(private readonly family: string, private readonly text: string, labelNames: string[], registry: Registry,
    private readonly rows: () => SummaryRow[], private readonly scale: number) {
    super({ name: family, help: text, labelNames, percentiles: [...QUANTILES], registers: [registry] });
  }

  override async get(): ReturnType<Summary<string>['get']> {
    const values: { labels: Record<string, string>; value: number; metricName?: string }[] = [];
    for (const { labels, q } of this.rows()) {
      // An empty summary reports NaN quantiles (as prom-client's own Summary does), not a fake 0.
      for (const p of QUANTILES) {
        values.push({ labels: { ...labels, quantile: String(p) }, value: q.count > 0 ? quantileOf(q, p) / this.scale : NaN });
      }
      values.push({ metricName: `${this.family}_sum`, labels, value: q.sum / this.scale });
      values.push({ metricName: `${this.family}_count`, labels, value: q.count });
    }
    const metric = { name: this.family, help: this.text, type: 'summary', values, aggregator: 'sum' };
    return metric as unknown as Awaited<ReturnType<Summary<string>['get']>>;
  }
}

export class PrometheusExporter {
  readonly registry = new Registry();
  private current: StatsSnapshot | undefined;

  constructor() {
    const r = this.registry;
    const s = (): StatsSnapshot => this.current!;
    const counter = (name: string, help: string, read: (x: StatsSnapshot) => number): void => {
      new Counter({ name, help, registers: [r], collect() { this.reset(); this.inc(read(s())); } });
    };
    counter('sabre_records_in_total', 'Records written into the partition rings.', (x) => x.totals.recordsIn);
    counter('sabre_records_processed_total', 'Records consumed by the workers.', (x) => x.totals.recordsProcessed);
    counter('sabre_records_out_total', 'Window results emitted by the workers.', (x) => x.totals.resultsOut);
    counter('sabre_late_records_total', 'Records beyond the allowed lateness (sent to the late output).', (x) => x.totals.late);
    counter('sabre_dead_letter_total', 'Bad records sent to the dead-letter output.', (x) => x.totals.deadLetter);
    counter('sabre_rejected_total', 'Records refused by push sources.', (x) => x.totals.rejected);
    counter('sabre_ws_frames_skipped_total', 'Stats frames not sent to a slow /ws/stats client.', (x) => x.server?.wsFramesSkipped ?? 0);

    new SnapshotSummary('sabre_stage_latency_seconds',
      'Latency per stage (queue: ingest to dequeue; process: dequeue to aggregate; emit: watermark to sink; early: ingest to early result; output: ingest to a job output at its sink), per worker and over all workers.',
      ['stage', 'worker'], r, () => {
        const rows: SummaryRow[] = [];
        for (const [stage, l] of Object.entries(s().latency.stages)) {
          rows.push({ labels: { stage, worker: 'all' }, q: l.all });
          l.workers.forEach((q, w) => rows.push({ labels: { stage, worker: String(w) }, q }));
        }
        return rows;
      }, 1e6);
    new SnapshotSummary('sabre_gc_pause_seconds', 'GC pauses per thread and kind.', ['thread', 'kind'], r, () => {
      const rows: SummaryRow[] = [];
      for (const t of s().gc.threads) {
        for (const [kind, k] of Object.entries(t.kinds)) rows.push({ labels: { thread: t.thread, kind }, q: k.pauseMs });
      }
      return rows;
    }, 1e3);

    new Gauge({
      name: 'sabre_ring_occupancy_ratio', help: 'Fraction of each partition ring in use.', labelNames: ['partition'], registers: [r],
      collect() { this.reset(); for (const p of s().partitions) this.set({ partition: String(p.partition) }, p.ringOccupancy); },
    });
    new Counter({
      name: 'sabre_backpressure_seconds_total', help: 'Time each source spent paused on a full ring.', labelNames: ['source'], registers: [r],
      collect() { this.reset(); for (const x of s().sources) this.inc({ source: x.name }, x.pausedSeconds); },
    });
    new Counter({
      name: 'sabre_backpressure_pauses_total', help: 'Times each source paused on a full ring.', labelNames: ['source'], registers: [r],
      collect() { this.reset(); for (const x of s().sources) this.inc({ source: x.name }, x.pauses); },
    });
    new Gauge({
      name: 'sabre_watermark_lag_seconds', help: 'Largest event time seen minus the worker watermark.', labelNames: ['worker'], registers: [r],
      collect() {
        this.reset();
        for (const w of s().workers) if (w.watermarkLagSeconds !== null) this.set({ worker: String(w.worker) }, w.watermarkLagSeconds);
      },
    });
    // A job run's outputs (absent for other runs).
    new Counter({
      name: 'sabre_job_outputs_total', help: 'Outputs of a job run (--job) handed to each of its sinks ("" is the default sink).',
      labelNames: ['sink'], registers: [r],
      collect() { this.reset(); for (const x of s().job?.sinks ?? []) this.inc({ sink: x.name }, x.outputs); },
    });
    new Counter({
      name: 'sabre_job_stage_outputs_total',
      help: 'Records each stage of a job run passed on (a filter: those it kept; the keyed stage: window results or process outputs), by branch and stage (1-based) and what the stage is.',
      labelNames: ['branch', 'stage', 'op'], registers: [r],
      collect() {
        this.reset();
        const inBranch = new Map<number, number>();
        for (const x of s().job?.stages ?? []) {
          const n = (inBranch.get(x.branch) ?? 0) + 1;
          inBranch.set(x.branch, n);
          this.inc({ branch: String(x.branch + 1), stage: String(n), op: x.stage }, x.out);
        }
      },
    });
    new Counter({
      name: 'sabre_job_user_function_dead_letters_total', help: 'Records a job function threw on, sent to the dead-letter output (--on-user-error dead-letter).',
      registers: [r],
      collect() { this.reset(); const j = s().job; if (j) this.inc(j.userFunctionDeadLetters); },
    });
    new Counter({
      name: 'sabre_job_lookup_reload_errors_total',
      help: 'Lookup table reloads that failed, summed over workers (each kept its previous table), and checkpoint table copies a restore did not find.',
      registers: [r],
      collect() { this.reset(); const j = s().job; if (j) this.inc(j.lookupReloadErrors); },
    });
    // A member of a scaled-out job (--changelog; absent, or 0, for other runs).
    const gauge = (name: string, help: string, read: (m: MemberStats) => number): void => {
      new Gauge({ name, help, registers: [r], collect() { this.reset(); const m = s().member; if (m) this.set(read(m)); } });
    };
    const memberCounter = (name: string, help: string, read: (m: MemberStats) => number): void => {
      new Counter({ name, help, registers: [r], collect() { this.reset(); const m = s().member; if (m) this.inc(read(m)); } });
    };
    gauge('sabre_member_assigned_partitions', 'Partitions of the source topic assigned to this member of the consumer group now (--changelog).',
      (m) => m.assigned.length);
    gauge('sabre_member_generation', 'Assignments this member has seen; each one rewinds it to its partitions\' committed state.', (m) => m.generation);
    gauge('sabre_group_members', 'Members of the consumer group as last described by its coordinator.', (m) => m.members.length);
    memberCounter('sabre_member_restores_total', 'Restores of assigned partitions from the changelog.', (m) => m.restores.count);
    memberCounter('sabre_member_restore_bytes_total', 'State bytes restored from the changelog.', (m) => m.restores.bytes);
    memberCounter('sabre_member_restore_seconds_total', 'Time spent restoring: reading the changelog and rewinding the workers.', (m) => m.restores.totalMs / 1e3);
    memberCounter('sabre_changelog_bytes_total', 'State bytes written to the changelog, in the checkpoints\' transactions.', (m) => m.changelog.bytes);
    memberCounter('sabre_changelog_messages_total', 'Messages written to the changelog.', (m) => m.changelog.messages);
    new Counter({
      name: 'sabre_transactions_total',
      help: 'Transactions of the transactional Kafka sink under --changelog: committed, aborted (a rebalance rewound the member), refused (a commit refused while fenced by a rebalance).',
      labelNames: ['outcome'], registers: [r],
      collect() {
        this.reset();
        const t = s().member?.transactions;
        if (!t) return;
        this.inc({ outcome: 'committed' }, t.commits);
        this.inc({ outcome: 'aborted' }, t.aborts);
        this.inc({ outcome: 'refused' }, t.fencedCommits);
      },
    });
    // Push ingest (absent when the HTTP server, and with it ingest, is off).
    new Counter({
      name: 'sabre_ingest_requests_total', help: 'POST /ingest requests received.', registers: [r],
      collect() { this.reset(); const i = s().ingest; if (i) this.inc(i.http.requests); },
    });
    new Counter({
      name: 'sabre_ingest_responses_total',
      help: 'POST /ingest answers by status: 202 accepted, 400 no Content-Length nor chunked body, 401 bad token, 403 browser origin not allowed, 413 body over --max-body, 415 unknown Content-Type, 503 rings full for --ingest-timeout or engine stopping.',
      labelNames: ['code'], registers: [r],
      collect() {
        this.reset();
        const h = s().ingest?.http;
        if (!h) return;
        this.inc({ code: '202' }, h.accepted202);
        this.inc({ code: '400' }, h.badRequest400 ?? 0);
        this.inc({ code: '401' }, h.unauthorized401);
        this.inc({ code: '403' }, h.forbidden403);
        this.inc({ code: '413' }, h.tooLarge413);
        this.inc({ code: '415' }, h.unsupported415);
        this.inc({ code: '503' }, h.unavailable503);
      },
    });
    new Counter({
      name: 'sabre_ingest_records_not_accepted_total', help: 'Records of POST /ingest requests answered 503 that were not accepted (the client was told to resend them).', registers: [r],
      collect() { this.reset(); const i = s().ingest; if (i) this.inc(i.http.recordsNotAccepted); },
    });
    new Counter({
      name: 'sabre_ingest_aborted_total', help: 'POST /ingest requests the client aborted.', registers: [r],
      collect() { this.reset(); const i = s().ingest; if (i) this.inc(i.http.aborted); },
    });
    new Counter({
      name: 'sabre_ws_closed_total', help: 'WebSockets closed by Sabre: 4008 credit exceeded and 1009 frame over --max-body (/ws/ingest), 4009 too slow (/ws/results).',
      labelNames: ['code', 'reason'], registers: [r],
      collect() {
        this.reset();
        const i = s().ingest;
        if (!i) return;
        this.inc({ code: '4008', reason: 'credit-exceeded' }, i.ws.creditViolations);
        this.inc({ code: '1009', reason: 'too-large' }, i.ws.tooLarge1009);
        this.inc({ code: '4009', reason: 'too-slow' }, i.results.slowDisconnects);
      },
    });
    new Counter({
      name: 'sabre_ws_upgrades_refused_total',
      help: 'WebSocket upgrades refused: 401 bad or missing bearer token (with --auth-token), 403 browser origin not allowed (--allowed-origins), 503 engine stopping.',
      labelNames: ['endpoint', 'code'], registers: [r],
      collect() {
        this.reset();
        const x = s();
        if (x.server) this.inc({ endpoint: 'stats', code: '403' }, x.server.wsForbidden403 ?? 0);
        const i = x.ingest;
        if (!i) return;
        this.inc({ endpoint: 'ingest', code: '401' }, i.ws.unauthorized401);
        this.inc({ endpoint: 'ingest', code: '403' }, i.ws.forbidden403);
        this.inc({ endpoint: 'ingest', code: '503' }, i.ws.unavailable503);
        this.inc({ endpoint: 'results', code: '401' }, i.results.unauthorized401);
        this.inc({ endpoint: 'results', code: '403' }, i.results.forbidden403);
        this.inc({ endpoint: 'results', code: '503' }, i.results.unavailable503);
      },
    });
    new Counter({
      name: 'sabre_ws_ingest_frames_total', help: 'Frames received on /ws/ingest.', registers: [r],
      collect() { this.reset(); const i = s().ingest; if (i) this.inc(i.ws.frames); },
    });
    new Gauge({
      name: 'sabre_ws_clients', help: 'Open WebSockets per endpoint.', labelNames: ['endpoint'], registers: [r],
      collect() {
        this.reset();
        const x = s();
        if (x.server) this.set({ endpoint: 'stats' }, x.server.wsClients);
        if (x.ingest) {
          this.set({ endpoint: 'ingest' }, x.ingest.ws.clients);
          this.set({ endpoint: 'results' }, x.ingest.results.clients);
        }
      },
    });

    new Gauge({
      name: 'sabre_heap_used_bytes', help: 'V8 heap in use per thread.', labelNames: ['thread'], registers: [r],
      collect() { this.reset(); for (const t of s().gc.threads) if (t.heap) this.set({ thread: t.thread }, t.heap.usedBytes); },
    });
    new Gauge({
      name: 'sabre_event_loop_delay_seconds', help: 'Main-thread event-loop delay over the last interval.', labelNames: ['stat'], registers: [r],
      collect() {
        this.reset();
        const e = s().eventLoop;
        if (!e) return;
        this.set({ stat: 'p50' }, e.p50Ms / 1e3);
        this.set({ stat: 'p99' }, e.p99Ms / 1e3);
        this.set({ stat: 'max' }, e.maxMs / 1e3);
      },
    });
    new Gauge({
      name: 'sabre_uws_info', help: 'uWebSockets.js implementation in use (1 for the active one).', labelNames: ['implementation'], registers: [r],
      collect() { this.reset(); this.set({ implementation: s().uws.implementation }, 1); },
    });
    new Gauge({
      name: 'sabre_uptime_seconds', help: 'Seconds since the metrics hub started.', registers: [r],
      collect() { this.set(s().uptimeSeconds); },
    });
  }

  /**
   * Render a snapshot. prom-client calls every collect()/get() synchronously
   * inside metrics() before its first await, so `current` is only needed for
   * the duration of that call and concurrent scrapes cannot mix snapshots.
   */
  render(snapshot: StatsSnapshot): Promise<string> {
    this.current = snapshot;
    try {
      return this.registry.metrics();
    } finally {
      this.current = undefined;
    }
  }
}
