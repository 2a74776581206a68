// The dashboard of a job module's run (--job): the Job card shows the run's
// pipeline and each sink's outputs, the figures /api/stats gives for the same
// push. A flag-only run hides the card (test/browser/browser-dashboard.test.ts
// runs one; its page has the card hidden, checked here too by its absence of data).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { createEngine, type Engine } from '../../dist/src/index.js';
import { loadJob } from '../../dist/src/engine/load-job.js';
import type { StatsSnapshot } from '../../dist/src/metrics/stats-snapshot.js';
import { launchChromium } from '../helpers/chromium.js';

let engine: Engine;
let browser: Browser;
let base: string;

beforeAll(async () => {
  // The market-bars example at a steady rate, its bars to nowhere: both its sinks count outputs.
  const job = await loadJob('jobs/market-bars.ts');
  engine = createEngine({
    job, rate: 50_000, sink: 'null', sinks: 'bars=null', lateOutput: 'null', progress: 0, httpListenPort: 0, partitions: 4, workers: 1,
  });
  await engine.start();
  base = `http://127.0.0.1:${engine.httpPort}`;
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await engine?.stop();
});

describe('dashboard of a job run, in Chromium', () => {
  it('shows the job card: the run line, and per sink the outputs /api/stats gives for the push it rendered', async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(`${base}/`);
    // Wait until a render shows bars written (one-second windows close a little after the run starts).
    await page.waitForFunction(() => Number(document.querySelector<HTMLElement>('[data-testid="job-sink-bars-outputs"]')?.dataset.value ?? 0) > 0,
      null, { timeout: 30_000 });
    const shown = await page.evaluate(() => ({
      push: Number(document.getElementById('app')!.dataset.push),
      hidden: document.getElementById('job-card')!.hidden,
      pipeline: document.querySelector('[data-testid="job-pipeline"]')!.textContent,
      outputs: Object.fromEntries([...document.querySelectorAll<HTMLElement>('[data-testid$="-outputs"]')]
        .map((e) => [e.dataset.testid!, Number(e.dataset.value)])),
      userErrors: Number(document.querySelector<HTMLElement>('[data-testid="job-user-errors"]')!.dataset.value),
      lookupErrors: Number(document.querySelector<HTMLElement>('[data-testid="job-lookup-errors"]')!.dataset.value),
      lookupText: document.querySelector<HTMLElement>('[data-testid="job-lookup-errors"]')!.textContent,
      stages: [...document.querySelectorAll<HTMLElement>('[data-testid="job-stages"] tbody tr')].map((tr) => ({
        id: tr.dataset.testid,
        cells: [...tr.querySelectorAll('td')].map((td) => td.textContent),
        out: Number(tr.querySelector<HTMLElement>('[data-testid$="-out"]')!.dataset.value),
      })),
    }));
    const api = (await (await fetch(`${base}/api/stats?push=${shown.push}`)).json()) as StatsSnapshot;
    expect(shown.hidden).toBe(false);
    expect(api.job).not.toBeNull();
    expect(shown.pipeline).toBe(api.job!.pipeline);
    expect(shown.pipeline).toContain('market-bars.ts');
    expect(shown.outputs).toEqual({
      'job-sink-default-outputs': api.job!.sinks.find((k) => k.name === '')!.outputs,
      'job-sink-bars-outputs': api.job!.sinks.find((k) => k.name === 'bars')!.outputs,
    });
    expect(shown.outputs['job-sink-bars-outputs']).toBeGreaterThan(0);
    expect(shown.userErrors).toBe(api.job!.userFunctionDeadLetters);
    expect(shown.lookupErrors).toBe(api.job!.lookupReloadErrors);
    expect(shown.lookupText).toContain('lookup table reload');
    // Every stage of both branches, as /api/stats counted them for the same push: branch, what, file:line:column, count.
    expect(shown.stages).toEqual(api.job!.stages.map((x, i) => ({
      id: `job-stage-${i}`,
      cells: [String(x.branch + 1), x.stage, x.where.slice(x.where.lastIndexOf('/') + 1), x.out.toLocaleString('en-US')],
      out: x.out,
    })));
    // market-bars: the bars branch (window, map, to bars, filter, map) and the crossover branch (process).
    expect(shown.stages.map((x) => x.cells[1])).toEqual(['tumbling:1000ms [open,high,low,close,volume,notional,trades]', 'map', 'to bars', 'filter', 'map', 'process']);
    expect(shown.stages.map((x) => x.cells[2]!.replace(/:\d+:\d+$/, ''))).toEqual(Array(6).fill('market-bars.ts'));
    expect(shown.stages[0]!.out).toBeGreaterThan(0);
    expect(errors).toEqual([]);
  }, 60_000);
});
