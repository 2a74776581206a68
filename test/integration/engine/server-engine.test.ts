import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine, type Engine } from '../../../dist/src/index.js';
import type { StatsSnapshot } from '../../../dist/src/metrics/stats-snapshot.js';
import { REQUIRED_FAMILIES, parsePrometheus, sample } from '../../helpers/prom-parser.js';
import { expectedUws } from '../../helpers/expected-uws.js';

const REQUIRED = REQUIRED_FAMILIES;

let engine: Engine;
let base: string;

beforeAll(async () => {
  engine = createEngine({
    source: 'generator', rate: 200_000, keys: 1000, window: 'tumbling:200ms', earlyFire: '100ms', partitions: 4, workers: 2,
    sink: 'null', lateOutput: 'null', progress: 0, httpListenPort: 0,
  });
  await engine.start();
  base = `http://127.0.0.1:${engine.httpPort}`;
  // Let workers post a couple of interval snapshots (once a second).
  await new Promise((r) => setTimeout(r, 2500));
});

afterAll(async () => { await engine?.stop(); });

describe('/metrics and /api/stats during a generator run', () => {
  it('/metrics parses as Prometheus text and carries every required family with plausible values', async () => {
    const res = await fetch(`${base}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const fam = parsePrometheus(await res.text());
    for (const [name, type] of Object.entries(REQUIRED)) expect(fam.get(name)?.type, name).toBe(type);
    expect(sample(fam, 'sabre_records_in_total')).toBeGreaterThan(100_000);
    expect(sample(fam, 'sabre_records_out_total')).toBeGreaterThan(0);
    for (const stage of ['queue', 'process', 'emit', 'early']) {
      expect(sample(fam, 'sabre_stage_latency_seconds_count', { stage, worker: 'all' }), stage).toBeGreaterThan(0);
      const p50 = sample(fam, 'sabre_stage_latency_seconds', { stage, worker: 'all', quantile: '0.5' });
      const max = sample(fam, 'sabre_stage_latency_seconds', { stage, worker: 'all', quantile: '1' });
      // Processing a record takes well under the histogram's 1 µs resolution, so its p50 may be 0; every stage has a positive max.
      if (stage === 'process') expect(p50).toBeGreaterThanOrEqual(0);
      else expect(p50).toBeGreaterThan(0);
      expect(max).toBeGreaterThan(0);
      expect(p50).toBeLessThanOrEqual(max);
      expect(max).toBeLessThan(60);
    }
    expect(fam.get('sabre_ring_occupancy_ratio')!.samples.map((s) => s.labels.partition)).toEqual(['0', '1', '2', '3']);
    for (const s of fam.get('sabre_ring_occupancy_ratio')!.samples) expect(s.value).toBeGreaterThanOrEqual(0), expect(s.value).toBeLessThanOrEqual(1);
    expect(fam.get('sabre_gc_pause_seconds')!.samples.some((s) => s.labels.thread === 'worker-1')).toBe(true);
    expect(sample(fam, 'sabre_watermark_lag_seconds', { worker: '0' })).toBeGreaterThanOrEqual(0);
    expect(fam.get('sabre_backpressure_seconds_total')!.samples.some((s) => s.labels.source === 'generator')).toBe(true);
  });

  it('/api/stats agrees with /metrics, and the .hgrm route serves a percentile distribution', async () => {
    const fam = parsePrometheus(await (await fetch(`${base}/metrics`)).text());
    const s = (await (await fetch(`${base}/api/stats`)).json()) as StatsSnapshot;
    const fam2 = parsePrometheus(await (await fetch(`${base}/metrics`)).text());
    // Counters only grow: the JSON read between two scrapes lies between them.
    for (const [name, get] of [['sabre_records_in_total', (x: StatsSnapshot) => x.totals.recordsIn],
      ['sabre_records_out_total', (x: StatsSnapshot) => x.totals.resultsOut]] as const) {
      expect(get(s)).toBeGreaterThanOrEqual(sample(fam, name));
      expect(get(s)).toBeLessThanOrEqual(sample(fam2, name));
    }
    expect(s.uws.implementation).toBe(expectedUws());
    const hgrm = await (await fetch(`${base}/api/histograms/queue.hgrm`)).text();
    expect(hgrm).toMatch(/Value\s+Percentile\s+TotalCount/);
    expect(hgrm).toMatch(/#\[Mean\s+=/);
  });
});
