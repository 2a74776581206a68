// The generator's record kinds for jobs: the same records for a seed whatever
// the partitions, resumable at any index, drawn into one reused object.
import { describe, expect, it } from 'vitest';
import { jobGeneratorSource, jobRecordModel, MERCHANTS, type JobRecordOptions } from '../../../../dist/src/io/generator/job-records.js';
import { SIM_EPOCH_MS } from '../../../../dist/src/io/generator/trade-model.js';
import { job, generator, tumbling, count, type JobGeneratorKind } from '../../../../dist/src/job/index.js';
import { planOf, type JobPlan } from '../../../../dist/src/job/plan.js';
import { rowLayout } from '../../../../dist/src/codec/row-layout.js';
import { decodeRow, rig, runDraining } from '../../../helpers/ring-frames.js';

function planFor(kind: JobGeneratorKind, key: string): JobPlan {
  const stream = (job({ source: generator(kind) }) as { keyBy(k: string): { window(w: unknown): { aggregate(a: unknown): unknown } } })
    .keyBy(key).window(tumbling('1s')).aggregate({ n: count() });
  return planOf({ default: stream }, `${kind}.job.ts`);
}

const opts = (kind: JobGeneratorKind, over: Partial<JobRecordOptions> = {}): JobRecordOptions => ({
  kind, seed: 42, keys: 50, disorder: 20, eventsPerMs: 10, rate: 0, count: 3000, durationMs: 0, ...over,
});

/** Rows the source writes with `partitions` rings (drained as it goes), in ring order. */
async function generate(o: JobRecordOptions, plan: JobPlan, partitions: number): Promise<Record<string, unknown>[]> {
  const r = rig(partitions, { capacity: 1 << 14 });
  const src = jobGeneratorSource(o, plan);
  const frames = await runDraining(r, () => src.run({ writer: r.writer, deadLetter: () => { throw new Error('nothing is dead-lettered'); } } as never));
  expect(src.records).toBe(o.count); // the index reached, as the built-in generator counts
  expect(src.position()).toEqual({ records: o.count });
  const layout = rowLayout(plan.fields);
  return frames.map((f) => {
    const row = decodeRow(f.body, layout);
    expect(f.time).toBe(row.values.at);
    return row.values;
  });
}

/** The model's records, drawn directly (copies of its one object). */
function drawn(o: JobRecordOptions, n: number): Record<string, unknown>[] {
  const m = jobRecordModel(o);
  const out: Record<string, unknown>[] = [];
  for (let i = 0; i < n; i++) {
    m.draw();
    out.push({ ...m.record, at: SIM_EPOCH_MS + Math.floor(i / o.eventsPerMs) - m.jitter });
  }
  return out;
}

const canon = (rows: Record<string, unknown>[]): string[] => rows.map((r) => JSON.stringify(r)).sort();

describe.each(['card-txns', 'market'] as const)('job generator %s', (kind) => {
  const plan = planFor(kind, kind === 'card-txns' ? 'card' : 'symbol');

  it('draws into one reused object, the same records for the same seed and others for another seed', () => {
    const m = jobRecordModel(opts(kind));
    const rec = m.record;
    m.draw();
    m.draw();
    expect(m.record).toBe(rec);
    expect(drawn(opts(kind), 500)).toEqual(drawn(opts(kind), 500));
    expect(drawn(opts(kind, { seed: 7 }), 500)).not.toEqual(drawn(opts(kind), 500));
  });

  it('writes the model\'s records, in order on one partition and the same set on four', async () => {
    const o = opts(kind);
    const one = await generate(o, plan, 1);
    expect(one).toEqual(drawn(o, o.count));
    const four = await generate(o, plan, 4);
    expect(canon(four)).toEqual(canon(one));
  });

  it('resumed from record n, writes exactly the tail', async () => {
    const o = opts(kind);
    const all = await generate(o, plan, 1);
    const tail = await generate({ ...o, startAt: 1234 }, plan, 1);
    expect(tail).toEqual(all.slice(1234));
  });

  it('with --rate, writes every record, paced on the wall clock, with event times in whole ms', async () => {
    // Each record is due at start + i / rate, a fractional ms: an event time taken from it as it is was
    // refused as bad-time, and the run spun forever writing nothing.
    const t0 = Date.now();
    const rows = await generate(opts(kind, { rate: 20_000, count: 300 }), plan, 2);
    expect(rows).toHaveLength(300);
    for (const r of rows) {
      expect(Number.isInteger(r.at)).toBe(true);
      expect(r.at as number).toBeGreaterThanOrEqual(t0 - 20 - 1);
    }
  });

  it('event times follow the simulated clock, at most --disorder behind', () => {
    const o = opts(kind, { disorder: 20 });
    const rows = drawn(o, 5000);
    const behind = rows.map((r, i) => SIM_EPOCH_MS + Math.floor(i / o.eventsPerMs) - (r.at as number));
    expect(Math.min(...behind)).toBe(0);
    expect(Math.max(...behind)).toBe(20);
  });
});

describe('card-txns records', () => {
  const o = opts('card-txns', { keys: 1000, count: 100_000, eventsPerMs: 1 });
  const rows = drawn(o, o.count) as { card: string; merchant: string; amount: number; status: string; at: number }[];

  it('cards, merchants and amounts in range; statuses about 92% / 7% / 1%', () => {
    const statuses = new Map<string, number>();
    const wrong = rows.filter((r) => !/^CARD\d+$/.test(r.card) || Number(r.card.slice(4)) >= 1000
      || !/^M\d+$/.test(r.merchant) || Number(r.merchant.slice(1)) >= MERCHANTS
      || r.amount < 1 || r.amount > 2000 || Math.round(r.amount * 100) / 100 !== r.amount);
    expect(wrong).toEqual([]);
    for (const r of rows) statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
    expect([...statuses.keys()].sort()).toEqual(['approved', 'declined', 'test']);
    expect(statuses.get('approved')! / rows.length).toBeCloseTo(0.92, 1);
    expect(statuses.get('declined')! / rows.length).toBeCloseTo(0.07, 1);
    expect(statuses.get('test')! / rows.length).toBeGreaterThan(0.005);
    expect(statuses.get('test')! / rows.length).toBeLessThan(0.02);
  });

  it('cards are skewed: the hottest tenth of the cards gets over half of the transactions', () => {
    const per = new Map<string, number>();
    for (const r of rows) per.set(r.card, (per.get(r.card) ?? 0) + 1);
    const counts = [...per.values()].sort((a, b) => b - a);
    expect(counts.slice(0, 100).reduce((a, b) => a + b, 0)).toBeGreaterThan(rows.length / 2);
  });

  it('"three declines then an approval within 5 minutes" on one card happens now and then', () => {
    const recent = new Map<string, { status: string; at: number }[]>();
    let fired = 0;
    for (const r of rows) {
      if (r.status === 'test') continue;
      const h = recent.get(r.card) ?? [];
      h.push({ status: r.status, at: r.at });
      if (h.length > 4) h.shift();
      recent.set(r.card, h);
      if (h.length === 4 && h[3]!.status === 'approved' && h.slice(0, 3).every((x) => x.status === 'declined') && h[3]!.at - h[0]!.at <= 300_000) fired++;
    }
    expect(fired).toBeGreaterThan(5);
    expect(fired).toBeLessThan(rows.length / 100);
  });
});

describe('market records', () => {
  it('symbols, cent prices wandering around 100, integer quantities 1..1000, buys and sells', () => {
    const o = opts('market', { keys: 20, count: 50_000 });
    const rows = drawn(o, o.count) as { symbol: string; price: number; qty: number; side: string }[];
    const sides = new Set<string>();
    let sum = 0;
    const wrong = rows.filter((r) => !/^SYM\d+$/.test(r.symbol) || Number(r.symbol.slice(3)) >= 20
      || Math.round(r.price * 100) / 100 !== r.price || r.price <= 50 || r.price >= 150
      || !Number.isInteger(r.qty) || r.qty < 1 || r.qty > 1000);
    expect(wrong).toEqual([]);
    for (const r of rows) {
      sides.add(r.side);
      sum += r.price;
    }
    expect([...sides].sort()).toEqual(['buy', 'sell']);
    expect(sum / rows.length).toBeGreaterThan(95);
    expect(sum / rows.length).toBeLessThan(105);
    // Each symbol's price moves by small steps (a walk, not fresh draws).
    const last = new Map<string, number>();
    let biggest = 0;
    for (const r of rows) {
      const p = last.get(r.symbol);
      if (p !== undefined) biggest = Math.max(biggest, Math.abs(r.price - p));
      last.set(r.symbol, r.price);
    }
    expect(biggest).toBeGreaterThan(0);
    expect(biggest).toBeLessThanOrEqual(0.151);
  });
});
