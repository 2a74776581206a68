import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHttpServer, type HttpServer } from '../../../dist/src/server/http-server.js';
import type { StatsSnapshot } from '../../../dist/src/metrics/stats-snapshot.js';
import { REQUIRED_FAMILIES, parsePrometheus, sample } from '../../helpers/prom-parser.js';
import { startFixture, type Fixture } from '../../helpers/metrics-fixture.js';
import { expectedUws } from '../../helpers/expected-uws.js';

const REQUIRED = REQUIRED_FAMILIES;
const QUANTILES = ['0.5', '0.9', '0.99', '0.999', '1'];

let fx: Fixture;
let server: HttpServer;
let base: string;

async function get(path: string, method = 'GET'): Promise<{ status: number; type: string | null; allow: string | null; body: string }> {
  const r = await fetch(base + path, { method });
  return { status: r.status, type: r.headers.get('content-type'), allow: r.headers.get('allow'), body: await r.text() };
}

beforeAll(async () => {
  fx = await startFixture({ partitions: 4, workers: 2, flushMs: 100 });
  server = await startHttpServer({ listenPort: 0, stats: () => fx.hub.snapshot(), histogram: (s, w) => fx.hub.hgrm(s, w) });
  base = `http://127.0.0.1:${server.port}`;
  await fx.reported(2);
});

afterAll(async () => {
  server?.close();
  await fx?.close();
});

describe('metrics HTTP server', () => {
  it('binds an ephemeral port when listenPort is 0, and refuses port 0 (the CLI\'s "off")', async () => {
    expect(server.port).toBeGreaterThan(0);
    await expect(startHttpServer({ port: 0, stats: () => fx.hub.snapshot(), histogram: () => undefined }))
      .rejects.toMatchObject({ code: 'ERR_INVALID_OPTION' });
    await expect(startHttpServer({ listenPort: server.port, stats: () => fx.hub.snapshot(), histogram: () => undefined }))
      .rejects.toMatchObject({ code: 'ERR_INVALID_OPTION' });
  });

  it('/metrics is valid Prometheus text carrying every Sabre family, with live data', async () => {
    const r = await get('/metrics');
    expect(r.status).toBe(200);
    expect(r.type).toBe('text/plain; version=0.0.4; charset=utf-8');
    const fam = parsePrometheus(r.body);
    for (const [name, type] of Object.entries(REQUIRED)) {
      expect(fam.get(name), name).toBeDefined();
      expect(fam.get(name)!.type, name).toBe(type);
      expect(fam.get(name)!.samples.length, name).toBeGreaterThan(0);
    }
    const lat = fam.get('sabre_stage_latency_seconds')!;
    for (const stage of ['queue', 'process', 'emit', 'early']) {
      for (const worker of ['all', '0', '1']) {
        for (const q of QUANTILES) expect(lat.samples.some((s) => s.labels.stage === stage && s.labels.worker === worker && s.labels.quantile === q)).toBe(true);
        expect(sample(fam, 'sabre_stage_latency_seconds_count', { stage, worker })).toBeGreaterThanOrEqual(0);
      }
    }
    expect(sample(fam, 'sabre_stage_latency_seconds_count', { stage: 'queue', worker: 'all' })).toBeGreaterThan(0);
    const gc = fam.get('sabre_gc_pause_seconds')!;
    for (const thread of ['main', 'worker-0', 'worker-1']) {
      for (const kind of ['minor', 'major', 'incremental', 'weakcb']) {
        expect(gc.samples.filter((s) => s.labels.thread === thread && s.labels.kind === kind && 'quantile' in s.labels).length).toBe(5);
      }
    }
    expect(sample(fam, 'sabre_records_in_total')).toBeGreaterThan(0);
    expect(fam.get('sabre_ring_occupancy_ratio')!.samples.map((s) => s.labels.partition)).toEqual(['0', '1', '2', '3']);
  });

  it('/api/stats agrees with /metrics, and both agree with what was recorded', async () => {
    await fx.freeze(); // workers posted their last snapshots; the driver stopped
    const [statsRes, metricsRes] = await Promise.all([get('/api/stats'), get('/metrics')]);
    expect(statsRes.status).toBe(200);
    expect(statsRes.type).toBe('application/json; charset=utf-8');
    const s = JSON.parse(statsRes.body) as StatsSnapshot;
    const fam = parsePrometheus(metricsRes.body);

    // Snapshot contents against the sources.
    const c = fx.counters;
    expect(s.version).toBe(1);
    expect(s.totals.recordsIn).toBe(c.sumPartitions(0));
    expect(s.totals.deadLetter).toBe(3);
    expect(s.totals.rejected).toBe(1);
    expect(s.partitions.map((p) => p.ringOccupancy)).toEqual(fx.occupancy);
    expect(s.partitions.map((p) => p.worker)).toEqual([0, 1, 0, 1]);
    expect(s.sources).toEqual(fx.sources);
    expect(s.uws.implementation).toBe(expectedUws());
    for (let w = 0; w < 2; w++) {
      const q = s.latency.stages.queue.workers[w]!;
      expect(q.count).toBe(fx.recorded[w]); // every value of every snapshot, none twice
      expect(q.min).toBe(100 + w * 1000);
      expect(q.max).toBe(100 + w * 1000 + 999);
      // The worker recorded 100 + w*1000 + (i % 1000) for i = 0 … n-1: check p50/p99 against the exact order statistics.
      const n = fx.recorded[w]!;
      const sorted = Array.from({ length: n }, (_, i) => 100 + w * 1000 + (i % 1000)).sort((a, b) => a - b);
      for (const [p, got] of [[0.5, q.p50], [0.99, q.p99]] as const) {
        const exact = sorted[Math.ceil(p * n) - 1]!;
        expect(Math.abs(got - exact)).toBeLessThanOrEqual(exact * 1e-3 + 1);
      }
      expect(s.latency.stages.process.workers[w]!.count).toBe(fx.recorded[w]);
      expect(s.latency.stages.process.workers[w]!.p99).toBe(5);
      expect(s.workers[w]!.heap!.usedBytes).toBeGreaterThan(0);
      expect(s.workers[w]!.watermarkLagSeconds).toBeCloseTo((2000 + (2 + w) * 100) / 1000, 9);
    }
    expect(s.latency.stages.queue.all.count).toBe(fx.recorded[0]! + fx.recorded[1]!);
    expect(s.gc.threads.map((t) => t.thread)).toEqual(['main', 'worker-0', 'worker-1']);

    // /metrics says the same.
    expect(sample(fam, 'sabre_records_in_total')).toBe(s.totals.recordsIn);
    expect(sample(fam, 'sabre_records_out_total')).toBe(s.totals.resultsOut);
    expect(sample(fam, 'sabre_late_records_total')).toBe(s.totals.late);
    expect(sample(fam, 'sabre_dead_letter_total')).toBe(s.totals.deadLetter);
    for (const p of s.partitions) expect(sample(fam, 'sabre_ring_occupancy_ratio', { partition: String(p.partition) })).toBe(p.ringOccupancy);
    for (const src of s.sources) expect(sample(fam, 'sabre_backpressure_seconds_total', { source: src.name })).toBeCloseTo(src.pausedSeconds, 12);
    for (const w of s.workers) expect(sample(fam, 'sabre_watermark_lag_seconds', { worker: String(w.worker) })).toBeCloseTo(w.watermarkLagSeconds!, 12);
    for (const [stage, l] of Object.entries(s.latency.stages)) {
      const rows: [string, typeof l.all][] = [['all', l.all], ...l.workers.map((q, w) => [String(w), q] as [string, typeof q])];
      for (const [worker, q] of rows) {
        expect(sample(fam, 'sabre_stage_latency_seconds_count', { stage, worker })).toBe(q.count);
        expect(sample(fam, 'sabre_stage_latency_seconds_sum', { stage, worker })).toBeCloseTo(q.sum / 1e6, 9);
        const at = (quantile: string): number => sample(fam, 'sabre_stage_latency_seconds', { stage, worker, quantile });
        if (q.count === 0) {
          expect(at('0.5')).toBeNaN();
          continue;
        }
        expect(at('0.5')).toBeCloseTo(q.p50 / 1e6, 12);
        expect(at('0.99')).toBeCloseTo(q.p99 / 1e6, 12);
        expect(at('0.999')).toBeCloseTo(q.p999 / 1e6, 12);
        expect(at('1')).toBeCloseTo(q.max / 1e6, 12);
      }
    }
    for (const t of s.gc.threads.filter((x) => x.thread !== 'main')) { // worker threads are frozen; main may GC meanwhile
      for (const [kind, k] of Object.entries(t.kinds)) {
        expect(sample(fam, 'sabre_gc_pause_seconds_count', { thread: t.thread, kind })).toBe(k.count);
        expect(sample(fam, 'sabre_gc_pause_seconds_sum', { thread: t.thread, kind })).toBeCloseTo(k.totalMs / 1e3, 9);
        if (k.count > 0) expect(sample(fam, 'sabre_gc_pause_seconds', { thread: t.thread, kind, quantile: '1' })).toBeCloseTo(k.pauseMs.max / 1e3, 12);
      }
    }
    expect(s.gc.threads.slice(1).some((t) => t.kinds.minor.count > 0)).toBe(true); // the busy workers really scavenged
  });

  it('/api/histograms/:stage.hgrm serves the HdrHistogram percentile distribution', async () => {
    const all = await get('/api/histograms/queue.hgrm');
    expect(all.status).toBe(200);
    expect(all.type).toBe('text/plain; charset=utf-8');
    expect(all.body).toBe(fx.hub.hgrm('queue'));
    expect(all.body).toMatch(/^\s+Value\s+Percentile\s+TotalCount\s+1\/\(1-Percentile\)/);
    expect(all.body).toMatch(new RegExp(`Total count\\s+=\\s+${fx.recorded[0]! + fx.recorded[1]!}\\]`));
    const one = await get('/api/histograms/queue.hgrm?worker=1');
    expect(one.status).toBe(200);
    expect(one.body).toMatch(new RegExp(`Total count\\s+=\\s+${fx.recorded[1]}\\]`));
    expect((await get('/api/histograms/process.hgrm')).status).toBe(200);
    expect((await get('/api/histograms/nope.hgrm')).status).toBe(404);
    expect((await get('/api/histograms/queue.txt')).status).toBe(404);
    expect((await get('/api/histograms/queue.hgrm?worker=7')).status).toBe(404);
    expect((await get('/api/histograms/queue.hgrm?worker=x')).status).toBe(404);
  });

  it('is read-only: 405 for other methods on known paths, 404 for unknown paths, 426 for plain GET on the socket', async () => {
    for (const path of ['/metrics', '/api/stats', '/api/histograms/queue.hgrm', '/', '/assets/dashboard.js']) {
      for (const method of ['POST', 'PUT', 'DELETE', 'PATCH']) {
        const r = await get(path, method);
        expect(r.status, `${method} ${path}`).toBe(405);
        expect(r.allow).toBe('GET');
      }
    }
    for (const path of ['/nope', '/api', '/api/stats/x', '/metrics/x', '/assets/missing.js']) expect((await get(path)).status, path).toBe(404);
    expect((await get('/ws/stats')).status).toBe(426);
    expect((await get('/ws/stats', 'POST')).status).toBe(405);
  });

  it('serves the dashboard and uPlot from node_modules (no CDN)', async () => {
    const page = await get('/');
    expect(page.status).toBe(200);
    expect(page.type).toBe('text/html; charset=utf-8');
    expect(page.body).not.toMatch(/https?:\/\//);
    for (const asset of ['/assets/uPlot.iife.min.js', '/assets/uPlot.min.css', '/assets/dashboard.js', '/assets/dashboard.css']) {
      expect(page.body).toContain(asset);
      const r = await get(asset);
      expect(r.status, asset).toBe(200);
      expect(r.body.length).toBeGreaterThan(500);
    }
    expect((await get('/assets/uPlot.iife.min.js')).body).toContain('uPlot');
  });
});

