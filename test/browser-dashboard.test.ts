import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync } from 'node:fs';
import type { Browser } from 'playwright-core';
import { createEngine, type Engine } from '../dist/src/index.js';
import type { StatsSnapshot } from '../dist/src/metrics/stats-snapshot.js';
import { launchChromium } from './helpers/chromium.js';

const WS_INTERVAL_MS = 1000;
const PARTITIONS = 8;
const RATE = 100_000;

let engine: Engine;
let browser: Browser;
let base: string;

// A real generator run: the page shows what the engine measures.
beforeAll(async () => {
  engine = createEngine({
    source: 'generator', rate: RATE, keys: 500, window: 'tumbling:500ms', partitions: PARTITIONS, workers: 2,
    sink: 'null', lateOutput: 'null', progress: 0, httpListenPort: 0,
  });
  await engine.start();
  base = `http://127.0.0.1:${engine.httpPort}`;
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await engine?.stop();
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
    const perPush = RATE * ((WS_INTERVAL_MS + 1500) / 1000);
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
