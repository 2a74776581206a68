import { describe, expect, it } from 'vitest';
import {
  job, file, toFile, tumbling, sliding, session, count, sum, min, max, avg, variance, stddev, percentile, first, last,
  countDistinct, approxCountDistinct, topN, aggregate, valueState, fileTable, type SourceSpec,
} from '../../../src/job/index.js';
import { PLAN } from '../../../src/job/job.js';
import { checkPlans, type JobPlan } from '../../../src/job/plan.js';
import { runReferencePipeline, type RefPipelineOptions } from '../../reference/reference-pipeline.js';

// v is optional at run time, so records without it reach the aggregates; typed as a required number
// because the API's types refuse sum('v') over an optional field.
const src = file('in.ndjson', { fields: { k: 'string', t: 'time', v: { type: 'number', optional: true }, s: 'string' }, time: 't' }) as unknown as
  SourceSpec<{ k: 'string'; t: 'time'; v: 'number'; s: 'string' }>;
/** The checked plan of a job module exporting these branches. */
const plan = (...streams: { readonly [PLAN]: unknown }[]): JobPlan => checkPlans(streams.map((s) => (s as never)[PLAN]), 'test-job');
const opts = (o: Partial<RefPipelineOptions> = {}): RefPipelineOptions => ({
  partitions: 1, partitionOf: () => 0, outOfOrderness: 0, ...o,
});
const rec = (k: string, t: number, v: number | null = 1, s = 'x'): Record<string, unknown> => ({ k, t, v, s });

describe('reference pipeline', () => {
  it('projects records and dead-letters bad ones once, for every branch', () => {
    const root = job({ source: src });
    const a = root.filter((r) => r.k !== 'drop');
    const b = root.map((r) => ({ k: r.k, twice: (r.v ?? 0) * 2 }));
    const input = [
      { k: 'a', t: 5, v: 2, s: 'x', extra: true },
      { k: 'a', t: 6, s: 'y' },
      { k: 'a', t: 'nope', v: 1, s: 'x' },
      { k: 7, t: 8, v: 1, s: 'x' },
      { k: 'a', t: 1.5, v: 1, s: 'x' },
      { k: 'drop', t: '1970-01-01T00:00:00.010Z', v: 1, s: 'x' },
      [1],
    ];
    const out = runReferencePipeline(plan(a, b), input, opts());
    expect(out.deadLetter.map((d) => d.reason)).toEqual(['bad-time', 'bad-field', 'bad-time', 'not-an-object']);
    expect(out.sinks.get('')).toEqual([
      { k: 'a', t: 5, v: 2, s: 'x' }, { k: 'a', twice: 4 },
      { k: 'a', t: 6, v: null, s: 'y' }, { k: 'a', twice: 0 },
      { k: 'drop', twice: 2 },
    ]);
  });

  it('tumbling windows with stateless stages before and after, a named sink and late records', () => {
    const p = plan(job({ source: src, sinks: { raw: toFile('raw.ndjson') } })
      .filter((r) => r.s !== 'skip')
      .to('raw')
      .keyBy('k')
      .window(tumbling(10))
      .aggregate({ n: count(), total: sum('v') })
      .map((w) => ({ ...w, big: w.total > 2 })));
    const input = [rec('a', 1, 1), rec('a', 3, 2), rec('b', 4, 5), rec('a', 9, 1, 'skip'), rec('a', 12, 1), rec('a', 2, 9), rec('b', 25, 1)];
    const out = runReferencePipeline(p, input, opts({ outOfOrderness: 1 }));
    expect(out.sinks.get('raw')).toHaveLength(6);
    // a@12 raises the watermark to 11: [0,10) fires; a@2 is then late (lateness 0) and moves nothing.
    expect(out.late).toEqual([{ ...rec('a', 2, 9), reason: 'late', watermark: 11 }]);
    expect(out.sinks.get('')).toEqual([
      { k: 'a', start: 0, end: 10, fire: 'watermark', n: 2, total: 3, big: true },
      { k: 'b', start: 0, end: 10, fire: 'watermark', n: 1, total: 5, big: true },
      { k: 'a', start: 10, end: 20, fire: 'watermark', n: 1, total: 1, big: false },
      { k: 'b', start: 20, end: 30, fire: 'watermark', n: 1, total: 1, big: false },
    ]);
  });

  it('allowed lateness re-fires a window late; a key function keys results by `key`', () => {
    const p = plan(job({ source: src, allowedLateness: 10 })
      .keyBy((r) => r.k.toUpperCase())
      .window(sliding(10, 5))
      .aggregate({ n: count() }));
    const out = runReferencePipeline(p, [rec('a', 7), rec('a', 16), rec('a', 8)], opts());
    expect(out.late).toEqual([]);
    expect(out.sinks.get('')).toEqual([
      { key: 'A', start: 0, end: 10, fire: 'watermark', n: 1 },
      { key: 'A', start: 5, end: 15, fire: 'watermark', n: 1 },
      { key: 'A', start: 0, end: 10, fire: 'late', n: 2 },
      { key: 'A', start: 5, end: 15, fire: 'late', n: 2 },
      { key: 'A', start: 10, end: 20, fire: 'watermark', n: 1 },
      { key: 'A', start: 15, end: 25, fire: 'watermark', n: 1 },
    ]);
  });

  it('time bounds: the command line wins over the job, which wins over the defaults', () => {
    const stream = job({ source: src, outOfOrderness: '5ms' }).keyBy('k').window(tumbling(10)).aggregate({ n: count() });
    const input = [rec('a', 1), rec('a', 14), rec('a', 3)];
    // The job's bound 5: a@14 moves the watermark to 9, so [0,10) is still open for a@3.
    const jobs = runReferencePipeline(plan(stream), input, { partitions: 1, partitionOf: () => 0 });
    expect(jobs.sinks.get('')![0]).toMatchObject({ start: 0, n: 2 });
    // --out-of-orderness 0: a@14 fires [0,10) and a@3 is late.
    const cli = runReferencePipeline(plan(stream), input, { partitions: 1, partitionOf: () => 0, outOfOrderness: 0 });
    expect(cli.sinks.get('')![0]).toMatchObject({ start: 0, n: 1 });
    expect(cli.late).toHaveLength(1);
    // No setting: the default 200 ms holds everything to the end.
    const none = runReferencePipeline(plan(job({ source: src }).keyBy('k').window(tumbling(10)).aggregate({ n: count() })), input,
      { partitions: 1, partitionOf: () => 0 });
    expect(none.sinks.get('')![0]).toMatchObject({ start: 0, n: 2 });
  });

  it('keys by several fields: the key string is their JSON, results carry each field', () => {
    const p = plan(job({ source: src }).keyBy(['k', 's']).window(tumbling(10)).aggregate({ n: count() }));
    const seen: string[] = [];
    const out = runReferencePipeline(p, [rec('a', 1, 1, 'x'), rec('a', 2, 1, 'y'), rec('a', 3, 1, 'x')],
      opts({ partitions: 2, partitionOf: (key) => { seen.push(key); return key.includes('"y"') ? 1 : 0; } }));
    expect(seen).toEqual(['["a","x"]', '["a","y"]', '["a","x"]']);
    expect(out.sinks.get('')).toEqual([
      { k: 'a', s: 'x', start: 0, end: 10, fire: 'watermark', n: 2 },
      { k: 'a', s: 'y', start: 0, end: 10, fire: 'watermark', n: 1 },
    ]);
  });

  it('a missing key field is missing-key; a throwing key function dead-letters its record whatever onUserError says', () => {
    const byField = plan(job({ source: src }).keyBy('k').window(tumbling(10)).aggregate({ n: count() }));
    const out = runReferencePipeline(byField, [{ t: 1, v: 1, s: 'x' }, rec('a', 2)], opts());
    expect(out.deadLetter.map((d) => d.reason)).toEqual(['missing-key']);
    const byFn = plan(job({ source: src }).keyBy((r) => { if (r.k === 'bad') throw new Error('no key'); return r.k; })
      .window(tumbling(10)).aggregate({ n: count() }));
    const out2 = runReferencePipeline(byFn, [rec('bad', 1), rec('a', 2)], opts());
    expect(out2.deadLetter).toMatchObject([{ reason: 'user-function', record: rec('bad', 1) }]);
    expect(out2.sinks.get('')).toEqual([{ key: 'a', start: 0, end: 10, fire: 'watermark', n: 1 }]);
  });

  it('session windows merge the windows a record bridges, and a merged fired window fires late', () => {
    const p = plan(job({ source: src, allowedLateness: 100 })
      .keyBy('k')
      .window(session(10))
      .aggregate({ n: count(), total: sum('v'), firstV: first('v'), lastV: last('v') }));
    // Bound 100 holds everything back: a@0 [0,10) and a@18 [18,28) are bridged by a@9 [9,19) into [0,28).
    const held = runReferencePipeline(p, [rec('a', 0, 1), rec('a', 18, 2), rec('a', 9, 4)], opts({ outOfOrderness: 100 }));
    expect(held.sinks.get('')).toEqual([{ k: 'a', start: 0, end: 28, fire: 'watermark', n: 3, total: 7, firstV: 1, lastV: 2 }]);
    // Bound 0: a@20 fires [0,10); a@9 then merges it into [0,19), which is at or below the watermark: a late firing.
    const fired = runReferencePipeline(p, [rec('a', 0, 1), rec('a', 20, 2), rec('a', 9, 4)], opts());
    expect(fired.sinks.get('')).toEqual([
      { k: 'a', start: 0, end: 10, fire: 'watermark', n: 1, total: 1, firstV: 1, lastV: 1 },
      { k: 'a', start: 0, end: 19, fire: 'late', n: 2, total: 5, firstV: 1, lastV: 4 },
      { k: 'a', start: 20, end: 30, fire: 'watermark', n: 1, total: 2, firstV: 2, lastV: 2 },
    ]);
  });

  it('computes every aggregate, skipping missing values for all but count', () => {
    const p = plan(job({ source: src }).keyBy('k').window(tumbling(100)).aggregate({
      n: count(), total: sum('v'), lo: min('v'), hi: max('v'), mean: avg('v'), var: variance('v'), sd: stddev('v'),
      p50: percentile('v', 0.5), p90: percentile('v', 0.9), firstS: first('s'), lastS: last('s'),
      distinct: countDistinct('s'), approx: approxCountDistinct('s'), top: topN('s', 2), doubled: sum((r: { v: number | null }) => (r.v ?? 0) * 2),
      custom: aggregate<{ s: string }, string[], string>({
        init: () => [], add: (acc, r) => [...acc, r.s], merge: (x, y) => [...x, ...y], result: (acc) => acc.join(''),
      }),
    }));
    const input = [rec('a', 5, 4, 'b'), rec('a', 1, null, 'c'), rec('a', 5, 2, 'a'), rec('a', 9, 6, 'b'), rec('a', 1, 8, 'd'), rec('e', 3, null)];
    const rows = runReferencePipeline(p, input, opts({ outOfOrderness: 100 })).sinks.get('')!;
    // a's values 4, 2, 6, 8 (mean 5, variance (1+9+1+9)/4 = 5; p50 rank ⌊0.5·3⌋ = 1, p90 rank ⌊0.9·3⌋ = 2); s by time: c@1, d@1, b@5, a@5, b@9.
    expect(rows[0]).toEqual({
      k: 'a', start: 0, end: 100, fire: 'watermark', n: 5, total: 20, lo: 2, hi: 8, mean: 5, var: 5, sd: Math.sqrt(5),
      p50: 4, p90: 6, firstS: 'c', lastS: 'b', distinct: 4, approx: 4, top: [{ value: 'b', count: 2 }, { value: 'a', count: 1 }],
      doubled: 40, custom: 'bcabd',
    });
    expect(rows[1]).toMatchObject({ k: 'e', n: 1, total: 0, lo: null, hi: null, mean: null, var: null, sd: null, p50: null, firstS: 'x' });
  });

  it('process functions: onRecord first, then due event-time timers in time and registration order', () => {
    const state = { n: valueState(0) };
    const p = plan(job({ source: src }).keyBy('k').process<typeof state, { k: string; time: number; n: number; wm: number }>({
      state,
      onRecord(_r, ctx) {
        ctx.state.n.set(ctx.state.n.get() + 1);
        ctx.timers.eventTime(ctx.timestamp + 10);
      },
      onTimer(time, _domain, ctx) {
        ctx.emit({ k: ctx.key, time, n: ctx.state.n.get(), wm: ctx.watermark });
        ctx.state.n.clear();
      },
    }).filter((o) => o.k !== 'skip'));
    const input = [rec('a', 0), rec('a', 5), rec('b', 3), rec('a', 12), rec('x', 100), rec('y', 100), rec('skip', 100)];
    const out = runReferencePipeline(p, input, opts());
    expect(out.sinks.get('')).toEqual([
      { k: 'a', time: 10, n: 3, wm: 12 }, // a@12 counted before its watermark fires a's timer at 10
      { k: 'b', time: 13, n: 1, wm: 100 },
      { k: 'a', time: 15, n: 0, wm: 100 },
      { k: 'a', time: 22, n: 0, wm: 100 },
      { k: 'x', time: 110, n: 1, wm: Infinity },
      { k: 'y', time: 110, n: 1, wm: Infinity },
    ]);
  });

  it('lookup adds the table row, or null', () => {
    const table = fileTable<{ tier: string }>('tiers.ndjson', { key: 'k' });
    const p = plan(job({ source: src }).lookup(table, { on: 'k', as: 'profile' }));
    const tables = new Map([['tiers.ndjson', new Map([['a', { k: 'a', tier: 'gold' }]])]]);
    const out = runReferencePipeline(p, [rec('a', 1), rec('b', 2)], opts({ tables }));
    expect(out.sinks.get('')!.map((r) => r.profile)).toEqual([{ k: 'a', tier: 'gold' }, null]);
  });

  it('a throwing function dead-letters its record when onUserError is dead-letter, and fails the run otherwise', () => {
    const stream = job({ source: src }).filter((r) => { if (r.k === 'bad') throw new Error('boom'); return true; });
    const out = runReferencePipeline(plan(stream), [rec('bad', 1), rec('ok', 2)], opts({ onUserError: 'dead-letter' }));
    expect(out.deadLetter).toMatchObject([{ reason: 'user-function', record: rec('bad', 1) }]);
    expect(out.sinks.get('')).toEqual([rec('ok', 2)]);
    expect(() => runReferencePipeline(plan(stream), [rec('bad', 1)], opts())).toThrow('boom');
  });
});
