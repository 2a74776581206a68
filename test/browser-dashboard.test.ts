import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync } from 'node:fs';
import type { Browser } from 'playwright-core';
import { startHttpServer, type HttpServer } from '../dist/src/server/http-server.js';
import type { StatsSnapshot } from '../dist/src/metrics/stats-snapshot.js';
import { launchChromium } from './helpers/chromium.js';
import { startFixture, type Fixture } from './helpers/metrics-fixture.js';

const WS_INTERVAL_MS = 1000;
const PARTITIONS = 8;

let fx: Fixture;
let server: HttpServer;
let browser: Browser;
let base: string;

beforeAll(async () => {
  fx = await startFixture({ partitions: PARTITIONS, workers: 2, flushMs: 250 });
  server = await startHttpServer({
    listenPort: 0, stats: () => fx.hub.snapshot(), histogram: (s, w) => fx.hub.hgrm(s, w), wsIntervalMs: WS_INTERVAL_MS,
  });
  base = `http://127.0.0.1:${server.port}`;
  await fx.reported(1);
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  server?.close();
  await fx?.close();
});

describe('dashboard in Chromium', () => {
  it('updates live over /ws/stats and shows the numbers /api/stats serves', async () => {
    const page = await browser.newPage({ viewport: { width: 1440, height: 900 }, deviceScaleFactor: 1 });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
    page.on('requestfailed', (r) => errors.push(`request failed: ${r.url()}`));
    await page.goto(`${base}/`);
    await page.waitForFunction(() => Number(document.getElementById('app')!.dataset.updates) >= 3, null, { timeout: 20_000 });

    // A number on the page against /api/stats fetched right after: the page may be one push behind.
    const shown = Number(await page.getAttribute('[data-testid="records-in"]', 'data-value'));
    const api = (await (await fetch(`${base}/api/stats`)).json()) as StatsSnapshot;
    const perPush = fx.recordsPerStep * Math.ceil((WS_INTERVAL_MS + 500) / fx.stepMs);
    expect(shown).toBeGreaterThan(0);
    expect(api.totals.recordsIn).toBeGreaterThanOrEqual(shown);
    expect(api.totals.recordsIn - shown).toBeLessThanOrEqual(perPush);
    const text = await page.textContent('[data-testid="records-in"]');
    expect(Number(text!.replace(/,/g, ''))).toBe(shown);

    expect(await page.getAttribute('[data-testid="uws-impl"]', 'data-value')).toBe(api.uws.implementation);
    expect(await page.locator('[data-testid^="ring-"][data-value]').count()).toBe(PARTITIONS);
    expect(Number(await page.getAttribute('[data-testid="dead-letter"]', 'data-value'))).toBe(api.totals.deadLetter);
    const p50 = Number(await page.getAttribute('[data-testid="latency-queue-all-p50"]', 'data-value'));
    expect(p50).toBeGreaterThan(0);
    expect(await page.locator('[data-testid="gc-worker-1"]').count()).toBe(1);
    expect(await page.locator('[data-testid="source-generator"]').count()).toBe(1);
    // uPlot drew its charts (canvas per chart) from the locally served script.
    expect(await page.locator('.uplot canvas').count()).toBeGreaterThanOrEqual(3);
    expect(await page.getAttribute('[data-testid="connection"]', 'data-state')).toBe('open');

    mkdirSync('docs', { recursive: true });
    await page.screenshot({ path: 'docs/dashboard.png', fullPage: true });
    expect(errors).toEqual([]);
    await page.close();
  });
});
