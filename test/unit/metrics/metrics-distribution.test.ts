// /api/stats carries the full percentile distribution of every stage (merged
// and per worker) and of every GC thread/kind, bounded in size, and it agrees
// point by point with the .hgrm endpoint. Real worker threads record known
// values (test/helpers/metrics-fixture.ts), so every point is checked against
// the exact count of recorded values at or below it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CumulativeHistogram, DISTRIBUTION_MAX_HALVINGS, DISTRIBUTION_TICKS } from '../../../dist/src/metrics/cumulative-histogram.js';
import { LatencyRecorder } from '../../../dist/src/metrics/latency-recorder.js';
import { startHttpServer, type HttpServer } from '../../../dist/src/server/http-server.js';
import type { DistributionPoint, Quantiles, StatsSnapshot } from '../../../dist/src/metrics/stats-snapshot.js';
import { startFixture, type Fixture } from '../../helpers/metrics-fixture.js';

const MAX_POINTS = DISTRIBUTION_TICKS * DISTRIBUTION_MAX_HALVINGS + 1;

let fx: Fixture;
let server: HttpServer;
let base: string;
let stats: StatsSnapshot;

beforeAll(async () => {
  fx = await startFixture({ partitions: 2, workers: 2 });
  server = await startHttpServer({
    listenPort: 0, stats: (o) => fx.hub.snapshot(undefined, o), histogram: (s, w) => fx.hub.hgrm(s, w),
  });
  base = `http://127.0.0.1:${server.port}`;
  await fx.reported(2);
  await fx.freeze(); // every worker's last snapshot is merged: the histograms no longer change
  stats = (await (await fetch(`${base}/api/stats`)).json()) as StatsSnapshot;
});

afterAll(async () => {
  server?.close();
  await fx?.close();
});

/** Percentiles rise, values and counts never fall, the last point is (max, 100 %, count), and the size is bounded. */
function expectWellFormed(d: DistributionPoint[], q: Quantiles): void {
  expect(d.length).toBeGreaterThan(1);
  expect(d.length).toBeLessThanOrEqual(MAX_POINTS);
  for (let i = 1; i < d.length; i++) {
    expect(d[i]!.percentile).toBeGreaterThan(d[i - 1]!.percentile);
    expect(d[i]!.value).toBeGreaterThanOrEqual(d[i - 1]!.value);
    expect(d[i]!.count).toBeGreaterThanOrEqual(d[i - 1]!.count);
  }
  for (const p of d) {
    expect(p.value).toBeGreaterThanOrEqual(q.min);
    expect(p.value).toBeLessThanOrEqual(q.max);
    // The iterator stops at the first value whose cumulative share reaches the level.
    expect((100 * p.count) / q.count).toBeGreaterThanOrEqual(p.percentile - 1e-9);
  }
  expect(d.at(-1)).toEqual({ value: q.max, percentile: 100, count: q.count });
}

/** Rows of the HdrHistogram percentile-distribution text: value (ms), percentile (0 … 1), total count. */
function hgrmRows(text: string): { ms: number; fraction: number; count: number }[] {
  return text.split('\n').filter((l) => /^\s*\d/.test(l)).map((l) => {
    const [ms, fraction, count] = l.trim().split(/\s+/).map(Number);
    return { ms: ms!, fraction: fraction!, count: count! };
  });
}

describe('full percentile distributions in /api/stats', () => {
  it('per stage and worker: well formed, and every count is exactly the recorded values at or below the point', () => {
    for (const w of [0, 1]) {
      const q = stats.latency.stages.queue.workers[w]!;
      const d = stats.latency.stages.queue.distribution!.workers[w]!;
      expect(q.count).toBe(fx.recorded[w]);
      expectWellFormed(d, q);
      // Worker w recorded 100 + w·1000 + (i mod 1000) µs for i = 0 … n−1.
      const n = fx.recorded[w]!;
      const lo = 100 + w * 1000;
      const atOrBelow = (x: number): number => {
        const k = Math.min(1000, Math.max(0, Math.floor(x) - lo + 1));
        return Math.floor(n / 1000) * k + Math.min(n % 1000, k);
      };
      for (const p of d) expect(p.count).toBe(atOrBelow(p.value));
      // 5 ticks per half distance: steps of 10 % up to 50 %, then of 5 % up to 75 %, …
      expect(d.slice(0, 12).map((p) => Math.round(p.percentile * 1e6) / 1e6)).toEqual([0, 10, 20, 30, 40, 50, 55, 60, 65, 70, 75, 77.5]);
    }
    const all = stats.latency.stages.queue;
    expectWellFormed(all.distribution!.all, all.all);
    expect(all.distribution!.all.at(-1)!.count).toBe(fx.recorded[0]! + fx.recorded[1]!);
    // process: 5 µs for every record.
    const pq = stats.latency.stages.process.all;
    expect(stats.latency.stages.process.distribution!.all).toEqual([
      { value: 5, percentile: 0, count: pq.count }, { value: 5, percentile: 100, count: pq.count }]);
    // A stage nothing recorded has an empty distribution, not a made-up one.
    expect(stats.latency.stages.early.distribution).toEqual({ all: [], workers: [[], []] });
  });

  it('agrees with /api/histograms/:stage.hgrm row by row (merged and per worker)', async () => {
    for (const worker of ['all', '0', '1']) {
      const text = await (await fetch(`${base}/api/histograms/queue.hgrm${worker === 'all' ? '' : `?worker=${worker}`}`)).text();
      const rows = hgrmRows(text);
      const l = stats.latency.stages.queue;
      const q = worker === 'all' ? l.all : l.workers[Number(worker)]!;
      const d = worker === 'all' ? l.distribution!.all : l.distribution!.workers[Number(worker)]!;
      expect(rows.length, worker).toBe(d.length);
      rows.forEach((r, i) => {
        const p = d[i]!;
        expect(p.count).toBe(r.count);
        expect(p.percentile / 100).toBeCloseTo(r.fraction, 11);
        // .hgrm prints HDR's highest equivalent value in ms (3 decimals = whole µs); /api/stats clamps it to the exact extremes.
        expect(p.value).toBe(Math.min(Math.max(Math.round(r.ms * 1000), q.min), q.max));
      });
      expect(text).toMatch(new RegExp(`#\\[Max\\s+=\\s+[\\d.]+, Total count\\s+=\\s+${q.count}\\]`));
    }
  });

  it('per GC thread and kind, in ms', () => {
    let seen = 0;
    for (const t of stats.gc.threads) {
      for (const [kind, k] of Object.entries(t.kinds)) {
        expect(k.distribution, `${t.thread} ${kind}`).toBeDefined();
        if (k.count === 0) {
          expect(k.distribution).toEqual([]);
          continue;
        }
        seen++;
        expectWellFormed(k.distribution!, k.pauseMs);
        expect(k.distribution!.at(-1)!.value).toBe(k.pauseMs.max);
      }
    }
    expect(seen).toBeGreaterThan(0); // the fixture's workers really scavenge
  });

  it('stays out of the 1/s /ws/stats push and of the plain snapshot', () => {
    const plain = fx.hub.snapshot();
    expect(plain.latency.stages.queue.distribution).toBeUndefined();
    expect(plain.gc.threads[1]!.kinds.minor.distribution).toBeUndefined();
  });

  it('is bounded: a histogram of 2^50 values with a long tail gets at most 5 × 40 + 1 points, ending at its max', () => {
    const r = new LatencyRecorder();
    // Value 10·(k+1) µs recorded 2^(49−k) times: each halving of the tail has its own bucket.
    for (let k = 0; k < 50; k++) r.recordValueWithCount(10 * (k + 1), 2 ** (49 - k));
    const h = new CumulativeHistogram();
    h.addInterval(r.swap());
    const d = h.distribution();
    expect(d.length).toBe(MAX_POINTS);
    expectWellFormed(d, h.quantiles());
    expect(d.at(-1)).toEqual({ value: 500, percentile: 100, count: 2 ** 50 - 1 });
    // Below the cap the points are the .hgrm rows.
    expect(hgrmRows(h.hgrm()).slice(0, MAX_POINTS - 1).map((x) => x.count)).toEqual(d.slice(0, -1).map((p) => p.count));
  });
});
