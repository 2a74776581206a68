import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { createEngine, type Engine } from '../../dist/src/index.js';
import type { StatsSnapshot } from '../../dist/src/metrics/stats-snapshot.js';
import { launchChromium } from '../helpers/chromium.js';
import { tmpDir } from '../helpers/engine-run.js';

/**
 * The committed README image. A test run leaves it alone (the screenshot goes to a temporary directory);
 * `npm run docs:screenshot` runs this test with SABRE_DASHBOARD_PNG=docs/dashboard.png to regenerate it.
 */
const DOCS_PNG = 'docs/dashboard.png';
const SCREENSHOT = process.env.SABRE_DASHBOARD_PNG ?? join(tmpDir(), 'dashboard.png');
const digest = (path: string): string | undefined => (existsSync(path) ? createHash('sha256').update(readFileSync(path)).digest('hex') : undefined);
const DOCS_PNG_BEFORE = digest(DOCS_PNG);
import { expectedUws } from '../helpers/expected-uws.js';

const PARTITIONS = 8;
const WORKERS = 2;
const STAGES = ['queue', 'process', 'emit', 'early'] as const;
const GC_KINDS = ['minor', 'major', 'incremental', 'weakcb'] as const;

let engine: Engine;
let browser: Browser;
let base: string;

// A real generator run. The rings are small, so the generator's bursts fill
// them: ring occupancy and backpressure are figures the page must get right,
// not zeros.
beforeAll(async () => {
  engine = createEngine({
    source: 'generator', rate: 100_000, keys: 500, window: 'tumbling:500ms', earlyFire: '200ms', partitions: PARTITIONS, workers: WORKERS,
    ringSize: '8KiB', sink: 'null', lateOutput: 'null', progress: 0, httpListenPort: 0,
  });
  await engine.start();
  base = `http://127.0.0.1:${engine.httpPort}`;
  // One push-ingest answer for the Ingest card to show: a POST of an unknown type (415).
  expect((await fetch(`${base}/ingest`, { method: 'POST', body: 'a,b', headers: { 'Content-Type': 'text/csv' } })).status).toBe(415);
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await engine?.stop();
});

interface PageState {
  /** The /ws/stats push the page last rendered (snapshot.server.push). */
  push: number;
  updates: number;
  /** Every [data-testid][data-value] on the page. */
  values: Record<string, string>;
  texts: Record<string, string>;
  /** uPlot instances' own data: per chart, per series (x axis first). */
  charts: Record<'throughput' | 'latency' | 'gc', (number | null)[][]>;
}

/** Everything the page shows, read in one synchronous turn of its event loop, so all of it comes from one render. */
function readPage(page: Page): Promise<PageState> {
  return page.evaluate(() => {
    const app = document.getElementById('app')!;
    const values: Record<string, string> = {};
    const texts: Record<string, string> = {};
    for (const el of document.querySelectorAll<HTMLElement>('[data-testid][data-value]')) {
      values[el.dataset.testid!] = el.dataset.value!;
      texts[el.dataset.testid!] = el.textContent ?? '';
    }
    const c = (window as unknown as { sabreCharts: Record<string, { data: (number | null)[][] }> }).sabreCharts;
    const data = (u: { data: (number | null)[][] }): (number | null)[][] => u.data.map((s) => Array.from(s));
    return {
      push: Number(app.dataset.push), updates: Number(app.dataset.updates), values, texts,
      charts: { throughput: data(c.throughput!), latency: data(c.latency!), gc: data(c.gc!) },
    };
  });
}

async function pushedSnapshot(push: number): Promise<StatsSnapshot> {
  const res = await fetch(`${base}/api/stats?push=${push}`);
  expect(res.status, `push ${push}`).toBe(200);
  return (await res.json()) as StatsSnapshot;
}

const num = (v: string | undefined): number | null => (v === undefined ? NaN : v === 'null' ? null : Number(v));

describe('dashboard in Chromium', () => {
  it('updates live over /ws/stats; its numbers and its charts are the ones /api/stats gives for the same push', async () => {
    const page = await browser.newPage({ viewport: { width: 1440, height: 900 }, deviceScaleFactor: 1 });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
    page.on('requestfailed', (r) => errors.push(`request failed: ${r.url()}`));
    await page.goto(`${base}/`);
    // A few pushes in, so workers have reported latency and GC at least once.
    await page.waitForFunction(() => Number(document.getElementById('app')!.dataset.updates) >= 3, null, { timeout: 20_000 });
    // And past the main thread's first GC pause, so its GC row is compared with a figure, not with zeros: the
    // generator allocates nothing per record, so on a quiet main thread the first scavenge can take longer.
    const deadline = Date.now() + 30_000;
    while (((await (await fetch(`${base}/api/stats`)).json()) as StatsSnapshot).gc.threads[0]!.count === 0) {
      if (Date.now() > deadline) throw new Error('no main-thread GC pause reported in 30 s');
      await new Promise((r) => setTimeout(r, 100));
    }
    const seen = await page.evaluate(() => Number(document.getElementById('app')!.dataset.updates));
    await page.waitForFunction((n) => Number(document.getElementById('app')!.dataset.updates) > n, seen, { timeout: 20_000 });

    const shown = await readPage(page);
    expect(shown.push).toBeGreaterThan(0);
    const api = await pushedSnapshot(shown.push);
    expect(api.server!.push).toBe(shown.push);
    expect((await fetch(`${base}/api/stats?push=${shown.push + 100}`)).status).toBe(404); // never pushed
    const v = shown.values;

    // Totals and the uWS implementation.
    expect(num(v['records-in'])).toBe(api.totals.recordsIn);
    expect(api.totals.recordsIn).toBeGreaterThan(0);
    expect(Number(shown.texts['records-in']!.replace(/,/g, ''))).toBe(api.totals.recordsIn);
    expect(num(v['dead-letter'])).toBe(api.totals.deadLetter);
    expect(v['uws-impl']).toBe(api.uws.implementation);
    expect(api.uws.implementation).toBe(expectedUws());

    // p50/p99/p99.9/max per stage, merged and per worker (a worker row only once it has values).
    let perWorkerRows = 0;
    for (const st of STAGES) {
      const l = api.latency.stages[st];
      for (const k of ['p50', 'p99', 'p999', 'max'] as const) expect(num(v[`latency-${st}-all-${k}`]), `${st} all ${k}`).toBe(l.all[k]);
      l.workers.forEach((q, w) => {
        if (q.count === 0) {
          expect(v[`latency-${st}-${w}-p99`]).toBeUndefined();
          return;
        }
        perWorkerRows++;
        expect(num(v[`latency-${st}-${w}-p99`]), `${st} worker ${w} p99`).toBe(q.p99);
        expect(num(v[`latency-${st}-${w}-max`]), `${st} worker ${w} max`).toBe(q.max);
      });
    }
    expect(perWorkerRows).toBeGreaterThanOrEqual(2 * WORKERS); // queue and process at least, for every worker

    // GC pause counts per thread and kind.
    expect(api.gc.threads.map((t) => t.thread)).toEqual(['main', 'worker-0', 'worker-1']);
    for (const t of api.gc.threads) {
      expect(num(v[`gc-${t.thread}-count`]), t.thread).toBe(t.count);
      for (const k of GC_KINDS) expect(num(v[`gc-${t.thread}-${k}`]), `${t.thread} ${k}`).toBe(t.kinds[k].count);
      expect(num(v[`gc-${t.thread}-total`])).toBe(t.totalMs);
    }
    expect(api.gc.threads[0]!.count).toBeGreaterThan(0);

    // Watermark lag per worker.
    for (const w of api.workers) expect(num(v[`worker-${w.worker}-lag`]), `worker ${w.worker}`).toBe(w.watermarkLagSeconds);
    expect(api.workers.every((w) => w.watermarkLagSeconds !== null)).toBe(true);

    // Ring occupancy per partition (bar and percentage text).
    expect(api.partitions).toHaveLength(PARTITIONS);
    for (const p of api.partitions) {
      expect(num(v[`ring-${p.partition}`]), `ring ${p.partition}`).toBe(p.ringOccupancy);
      expect(shown.texts[`ring-${p.partition}`]).toContain(`${(Math.round(p.ringOccupancy * 1000) / 10).toFixed(1)}%`);
    }

    // Backpressure per source: the small rings made the generator pause.
    const gen = api.sources.find((s) => s.name === 'generator')!;
    expect(gen.pauses).toBeGreaterThan(0);
    expect(gen.pausedSeconds).toBeGreaterThan(0);
    for (const s of api.sources) {
      expect(num(v[`source-${s.name}-paused`]), s.name).toBe(s.pausedSeconds);
      expect(num(v[`source-${s.name}-pauses`]), s.name).toBe(s.pauses);
    }

    // Push-ingest counters: every figure of snapshot.ingest, the 415 above among them.
    expect(api.ingest!.http).toMatchObject({ requests: 1, unsupported415: 1 });
    let ingestFigures = 0;
    for (const [group, counters] of Object.entries(api.ingest!)) {
      for (const [k, n] of Object.entries(counters)) {
        expect(num(v[`ingest-${group}-${k}`]), `ingest ${group} ${k}`).toBe(n);
        ingestFigures++;
      }
    }
    expect(ingestFigures).toBe(11 + 8 + 7); // http, ws, results (each field of IngestStats)

    // The charts plot this push as their newest point.
    const tp = shown.charts.throughput;
    expect(tp[0]!.at(-1)).toBe(api.time / 1000);
    expect(tp.slice(1).map((s) => s.at(-1))).toEqual([api.rates.recordsIn, api.rates.recordsProcessed, api.rates.resultsOut]);
    const qi = api.latency.stages.queue.interval; // the latency chart shows the selected stage: queue
    const ms = (x: number): number | null => (qi.count > 0 && x > 0 ? x / 1000 : null);
    expect(shown.charts.latency.slice(1).map((s) => s.at(-1))).toEqual([ms(qi.p50), ms(qi.p99), ms(qi.p999), ms(qi.max)]);
    expect(shown.charts.gc).toHaveLength(1 + api.gc.threads.length);

    // /api/stats now is the same run, later: counters only grew since that push.
    const now = (await (await fetch(`${base}/api/stats`)).json()) as StatsSnapshot;
    expect(now.time).toBeGreaterThan(api.time);
    expect(now.totals.recordsIn).toBeGreaterThanOrEqual(api.totals.recordsIn);
    expect(now.gc.threads[0]!.count).toBeGreaterThanOrEqual(api.gc.threads[0]!.count);
    expect(now.sources.find((s) => s.name === 'generator')!.pausedSeconds).toBeGreaterThanOrEqual(gen.pausedSeconds);

    // Three more pushes: every chart's own data series grew by at least three points.
    await page.waitForFunction((n) => Number(document.getElementById('app')!.dataset.push) >= n, shown.push + 3, { timeout: 20_000 });
    const later = await readPage(page);
    expect(later.updates).toBeGreaterThanOrEqual(shown.updates + 3);
    for (const name of ['throughput', 'latency', 'gc'] as const) {
      const before = shown.charts[name];
      const after = later.charts[name];
      expect(after.length, name).toBe(before.length);
      after.forEach((series, i) => expect(series.length, `${name} series ${i}`).toBeGreaterThanOrEqual(before[i]!.length + 3));
    }
    const laterApi = await pushedSnapshot(later.push);
    expect(later.charts.throughput[1]!.at(-1)).toBe(laterApi.rates.recordsIn);
    expect(num(later.values['records-in'])).toBe(laterApi.totals.recordsIn);

    // uPlot drew its charts (canvas per chart) from the locally served script.
    expect(await page.locator('.uplot canvas').count()).toBeGreaterThanOrEqual(3);
    expect(await page.getAttribute('[data-testid="connection"]', 'data-state')).toBe('open');

    mkdirSync(dirname(SCREENSHOT), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    expect(readFileSync(SCREENSHOT).subarray(1, 4).toString('latin1')).toBe('PNG');
    if (resolve(SCREENSHOT) !== resolve(DOCS_PNG)) expect(digest(DOCS_PNG), `${DOCS_PNG} changed`).toBe(DOCS_PNG_BEFORE);
    expect(errors).toEqual([]);
    await page.close();
  });
});
