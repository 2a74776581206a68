// The example jobs (jobs/*.ts) run through the reference pipeline on small
// hand-made inputs: their rules do what their comments say.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { planOf, type JobPlan } from '../../../src/job/plan.js';
import { runReferencePipeline } from '../../reference/reference-pipeline.js';

/** A job's plan, its 'sabre-stream' import pointed at src/job (as jobs/tsconfig.json maps it). */
async function examplePlan(name: string): Promise<JobPlan> {
  const dir = resolve('.tmp/example-jobs');
  mkdirSync(dir, { recursive: true });
  const text = readFileSync(resolve('jobs', name), 'utf8').replace(/from 'sabre-stream'/, `from ${JSON.stringify(resolve('src/job/index.ts'))}`);
  const file = join(dir, name);
  writeFileSync(file, text);
  return planOf((await import(file)) as Record<string, unknown>, file);
}

const T0 = 1_700_000_040_000;
const SECOND = 1000;
const MINUTE = 60 * SECOND;

describe('card-fraud', () => {
  const txn = (card: string, at: number, status: string, amount = 10, merchant = 'M1') => ({ card, merchant, amount, status, at });
  const profiles = new Map([
    ['CARD1', { card: 'CARD1', tier: 'standard', homeCountry: 'US', limit: 500 }],
    ['CARD2', { card: 'CARD2', tier: 'gold', homeCountry: 'GB', limit: 100_000 }],
  ]);
  const run = async (records: object[]) => runReferencePipeline(await examplePlan('card-fraud.ts'), records,
    { partitions: 2, partitionOf: (k) => k.length % 2, tables: new Map([['data/card-profiles.ndjson', profiles]]) });

  it('alerts on three declines in a row then an approval within five minutes, and on nothing less', async () => {
    const out = await run([
      txn('CARD2', T0, 'declined'), txn('CARD2', T0 + SECOND, 'test'), txn('CARD2', T0 + 2 * SECOND, 'declined'),
      txn('CARD2', T0 + 3 * SECOND, 'declined'), txn('CARD2', T0 + 4 * SECOND, 'approved', 99, 'M7'),
      // Two declines and an approval: no alert.
      txn('CARD2', T0 + 10 * MINUTE, 'declined'), txn('CARD2', T0 + 10 * MINUTE + 1, 'declined'), txn('CARD2', T0 + 10 * MINUTE + 2, 'approved'),
      // Three declines, then the approval six minutes later: the run has been cleared.
      txn('CARD2', T0 + 20 * MINUTE, 'declined'), txn('CARD2', T0 + 20 * MINUTE + 1, 'declined'), txn('CARD2', T0 + 20 * MINUTE + 2, 'declined'),
      txn('CARD2', T0 + 26 * MINUTE, 'approved'),
    ]);
    const rule = out.sinks.get('')!.filter((a) => a.rule === 'declines-then-approval');
    expect(rule).toEqual([{
      rule: 'declines-then-approval', card: 'CARD2', declines: 3, firstDeclineAt: T0, at: T0 + 4 * SECOND, amount: 99, merchant: 'M7',
    }]);
  });

  it('writes every window with its profile to features, and alerts on decline rates and spend over the limit', async () => {
    const out = await run([
      ...[0, 1, 2, 3].map((i) => txn('CARD2', T0 + i * SECOND, 'declined')),
      ...[4, 5, 6, 7].map((i) => txn('CARD2', T0 + i * SECOND, 'approved')),
      txn('CARD1', T0, 'approved', 300, 'M1'), txn('CARD1', T0 + SECOND, 'approved', 300, 'M2'),
      txn('CARD9', T0, 'approved'),
    ]);
    const features = out.sinks.get('features')!;
    // Sliding 1m every 10s: each transaction here is in six windows.
    expect(features.filter((w) => w.card === 'CARD9')).toHaveLength(6);
    expect(features.find((w) => w.card === 'CARD9')).toMatchObject({ n: 1, total: 10, merchants: 1, maxAmount: 10, declines: 0, profile: null });
    expect(features.find((w) => w.card === 'CARD1')).toMatchObject({ n: 2, total: 600, merchants: 2, profile: profiles.get('CARD1') });
    const alerts = out.sinks.get('')!;
    expect(alerts.filter((a) => a.rule === 'decline-rate').map((a) => a.card)).toEqual(Array(6).fill('CARD2'));
    expect(alerts.filter((a) => a.rule === 'over-limit').map((a) => [a.card, a.total, a.limit])).toEqual(Array(6).fill(['CARD1', 600, 500]));
  });
});

describe('market-bars', () => {
  const trade = (symbol: string, at: number, price: number, qty = 10) => ({ symbol, price, qty, side: 'buy', at });
  const run = async (records: object[]) => runReferencePipeline(await examplePlan('market-bars.ts'), records,
    { partitions: 1, partitionOf: () => 0 });

  it('writes one-second OHLC bars with VWAP and volume, and alerts on a jump', async () => {
    const out = await run([
      trade('SYM1', T0 + 100, 100, 10), trade('SYM1', T0 + 900, 100.2, 30), trade('SYM1', T0 + 50, 99.5, 20), trade('SYM1', T0 + 500, 101, 40),
      trade('SYM1', T0 + SECOND + 10, 100, 1), trade('SYM1', T0 + SECOND + 20, 102, 1),
    ]);
    expect(out.sinks.get('bars')).toEqual([
      {
        symbol: 'SYM1', start: T0, end: T0 + SECOND, fire: 'watermark', open: 99.5, high: 101, low: 99.5, close: 100.2,
        volume: 100, vwap: (100 * 10 + 100.2 * 30 + 99.5 * 20 + 101 * 40) / 100, trades: 4,
      },
      { symbol: 'SYM1', start: T0 + SECOND, end: T0 + 2 * SECOND, fire: 'watermark', open: 100, high: 102, low: 100, close: 102, volume: 2, vwap: 101, trades: 2 },
    ]);
    expect(out.sinks.get('')).toEqual([
      { rule: 'price-jump', symbol: 'SYM1', at: T0 + 2 * SECOND, direction: 'up', open: 100, close: 102, change: 0.02 },
    ]);
  });

  it('alerts when the fast average of one-second closes crosses the slow one', async () => {
    // One trade a second: 20 s at 100 (the averages agree), 5 s at 99 (fast below), then 102 (fast crosses above).
    const price = (s: number): number => (s < 20 ? 100 : s < 25 ? 99 : 102);
    const out = await run(Array.from({ length: 30 }, (_, s) => trade('SYM2', T0 + s * SECOND + 500, price(s))));
    const crossings = out.sinks.get('')!.filter((a) => a.rule === 'ma-crossover');
    expect(crossings).toHaveLength(1);
    // At the close of second 26: fast = (99·3 + 102·2)/5, slow = (100·13 + 99·5 + 102·2)/20.
    expect(crossings[0]).toMatchObject({ symbol: 'SYM2', direction: 'up', at: T0 + 27 * SECOND });
    expect(crossings[0]!.fast).toBeCloseTo(100.2, 9);
    expect(crossings[0]!.slow).toBeCloseTo(99.95, 9);
  });
});
