// A job's worker chain driven directly: stateless stages, windows with aggregates, late records,
// user errors (dead-letter or fail), and snapshot → restore giving the same later outputs.
import { describe, expect, it } from 'vitest';
import { job, file, tumbling, count, sum, last, aggregate, toFile, fileTable } from '../../../../dist/src/job/index.js';
import { OUT_DEAD_LETTER, OUT_LATE } from '../../../../dist/src/codec/out-frames.js';
import { SabreError } from '../../../../dist/src/errors.js';
import { harness, type Output } from '../../../helpers/pipeline-harness.js';

const source = file('txns.ndjson', { fields: { card: 'string', amount: 'number', status: 'string', at: 'time' }, time: 'at' });
const sinks = { big: toFile('big.ndjson') };

const bodies = (os: Output[], target: number) => os.filter((o) => o.target === target).map((o) => o.body);

describe('PipelineOperator: stateless stages', () => {
  it('filters, sends copies to a named sink, maps, and writes the rest to the default sink', () => {
    const h = harness(job({ source, sinks })
      .filter((t) => t.status !== 'test')
      .to('big')
      .map((t) => ({ card: t.card, cents: t.amount * 100 })));
    h.feed('c1', { card: 'c1', amount: 2, status: 'ok', at: 10 }, 10, 7);
    h.feed('c2', { card: 'c2', amount: 3, status: 'test', at: 11 }, 11);
    h.feed('c3', { card: 'c3', amount: 4, status: 'ok', at: 12 }, 12);
    const out = h.outputs();
    const big = h.plan.sinkNames.indexOf('big');
    expect(bodies(out, big)).toEqual([{ card: 'c1', amount: 2, status: 'ok', at: 10 }, { card: 'c3', amount: 4, status: 'ok', at: 12 }]);
    expect(bodies(out, 0)).toEqual([{ card: 'c1', cents: 200 }, { card: 'c3', cents: 400 }]);
    expect(out.find((o) => o.target === 0)).toMatchObject({ time: 10, ingest: 7 });
  });
});

describe('PipelineOperator: windows', () => {
  const windowed = () => job({ source }).keyBy('card').window(tumbling(1000)).aggregate({ n: count(), total: sum('amount') });

  it('fires { key fields, start, end, fire, ...aggregates } on the watermark', () => {
    const h = harness(windowed());
    h.feed('a', { card: 'a', amount: 1, status: 'ok', at: 100 }, 100, 5);
    h.feed('b', { card: 'b', amount: 10, status: 'ok', at: 200 }, 200, 6);
    h.feed('a', { card: 'a', amount: 2, status: 'ok', at: 900 }, 900, 8);
    expect(h.outputs()).toEqual([]);
    h.feed('a', { card: 'a', amount: 4, status: 'ok', at: 1500 }, 1500);
    const first = h.outputs();
    expect(first.map((o) => o.body)).toEqual(expect.arrayContaining([
      { card: 'a', start: 0, end: 1000, fire: 'watermark', n: 2, total: 3 },
      { card: 'b', start: 0, end: 1000, fire: 'watermark', n: 1, total: 10 },
    ]));
    expect(first).toHaveLength(2);
    expect(first.find((o) => o.body.card === 'a')).toMatchObject({ target: 0, time: 0, ingest: 8 });
    h.op.onWatermark(0, Infinity);
    expect(h.outputs().map((o) => o.body)).toEqual([{ card: 'a', start: 1000, end: 2000, fire: 'watermark', n: 1, total: 4 }]);
    expect(h.op.close()).toEqual({ results: 3, late: 0, keys: 2 });
  });

  it('gives keys of several fields and number fields back as their values, and a key function as `key`', () => {
    const src = file('m.ndjson', { fields: { sym: 'string', venue: 'number', px: 'number', at: 'time' }, time: 'at' });
    const multi = harness(job({ source: src }).keyBy(['sym', 'venue']).window(tumbling(1000)).aggregate({ n: count() }));
    multi.feed(JSON.stringify(['X', 3]), { sym: 'X', venue: 3, px: 1, at: 5 }, 5);
    multi.op.onWatermark(0, Infinity);
    expect(multi.outputs().map((o) => o.body)).toEqual([{ sym: 'X', venue: 3, start: 0, end: 1000, fire: 'watermark', n: 1 }]);
    const one = harness(job({ source: src }).keyBy('venue').window(tumbling(1000)).aggregate({ n: count() }));
    one.feed('3', { sym: 'X', venue: 3, px: 1, at: 5 }, 5);
    one.op.onWatermark(0, Infinity);
    expect(one.outputs()[0]!.body.venue).toBe(3);
    const fn = harness(job({ source: src }).keyBy((r) => `${r.sym}/${r.venue}`).window(tumbling(1000)).aggregate({ n: count() }));
    fn.feed('X/3', { sym: 'X', venue: 3, px: 1, at: 5 }, 5);
    fn.op.onWatermark(0, Infinity);
    expect(fn.outputs()[0]!.body).toMatchObject({ key: 'X/3', n: 1 });
  });

  it('runs the stages after the window on its results', () => {
    const h = harness(windowed().filter((w) => w.n > 1).map((w) => ({ card: w.card, avg: w.total / w.n })));
    h.feed('a', { card: 'a', amount: 1, status: 'ok', at: 1 }, 1);
    h.feed('a', { card: 'a', amount: 3, status: 'ok', at: 2 }, 2);
    h.feed('b', { card: 'b', amount: 3, status: 'ok', at: 2 }, 2);
    h.op.onWatermark(0, Infinity);
    expect(h.outputs().map((o) => o.body)).toEqual([{ card: 'a', avg: 2 }]);
  });

  it('gives a custom aggregate plain records it may keep, not the reused view', () => {
    const keep = aggregate({
      init: () => [] as unknown[], add: (a: unknown[], r: unknown) => { a.push(r); return a; },
      merge: (a: unknown[], b: unknown[]) => a.concat(b), result: (a: unknown[]) => a,
    });
    const h = harness(job({ source }).keyBy('card').window(tumbling(1000)).aggregate({ all: keep }));
    h.feed('a', { card: 'a', amount: 1, status: 's1', at: 1 }, 1);
    h.feed('a', { card: 'a', amount: 2, status: 's2', at: 2 }, 2);
    h.op.onWatermark(0, Infinity);
    expect(h.outputs()[0]!.body.all).toEqual([{ card: 'a', amount: 1, status: 's1', at: 1 }, { card: 'a', amount: 2, status: 's2', at: 2 }]);
  });

  it('gives an aggregate expression that keeps its record (last((t) => t)) plain records: each window\'s own last record', () => {
    // The real aggregate set (the harness's default is a test double); the rows are all written at one place, as a ring reuses its memory.
    const h = harness(job({ source }).keyBy('card').window(tumbling(1000)).aggregate({ lastTxn: last((t) => t), lastAmount: last('amount') }),
      { makeAggregates: undefined });
    const rows = [
      { card: 'a', amount: 1, status: 'ok', at: 100 }, { card: 'b', amount: 10, status: 'ok', at: 200 },
      { card: 'a', amount: 2, status: 'ok', at: 300 }, { card: 'b', amount: 20, status: 'no', at: 400 },
    ];
    for (const r of rows) h.feed(r.card, r, r.at);
    h.op.onWatermark(0, Infinity);
    const out = h.outputs().map((o) => o.body).sort((x, y) => String(x.card).localeCompare(String(y.card)));
    expect(out.map((b) => [b.card, b.lastTxn, b.lastAmount])).toEqual([['a', rows[2], 2], ['b', rows[3], 20]]);
  });

  it('gives a filter that keeps its record a plain copy; one that only reads fields the reused view', () => {
    const kept: unknown[] = [];
    const h = harness(job({ source })
      .filter((t) => { kept.push(t); return true; })
      .filter((t) => t.amount > 0));
    // Copies of the current row: the keeping filter's and the output's, per record; none for the reading filter.
    const view = (h.op as unknown as { view: { toObject(): object } }).view;
    const toObject = view.toObject.bind(view);
    let copies = 0;
    view.toObject = () => { copies++; return toObject(); };
    const rows = [{ card: 'a', amount: 1, status: 'ok', at: 1 }, { card: 'b', amount: 2, status: 'ok', at: 2 }];
    for (const r of rows) h.feed(r.card, r, r.at);
    expect(kept).toEqual(rows);
    expect(bodies(h.outputs(), 0)).toEqual(rows);
    expect(copies).toBe(2 * rows.length);
  });

  it('sends a record past allowed lateness to the late output with the reason and the watermark', () => {
    const h = harness(windowed());
    h.feed('a', { card: 'a', amount: 1, status: 'ok', at: 5000 }, 5000);
    h.outputs();
    h.feed('a', { card: 'a', amount: 9, status: 'late', at: 100 }, 100, 3);
    const late = h.outputs();
    expect(late).toEqual([{ target: OUT_LATE, time: 100, ingest: 3,
      body: { card: 'a', amount: 9, status: 'late', at: 100, reason: 'late', watermark: 5000 } }]);
    expect(h.op.close().late).toBe(1);
  });
});

describe('PipelineOperator: user errors', () => {
  const throwing = () => job({ source }).filter((t) => {
    if (t.status === 'boom') throw new Error('bad status');
    return true;
  });

  it('dead-letters the record with the reason and the stage\'s place, and goes on', () => {
    const h = harness(throwing(), { onUserError: 'dead-letter' });
    h.feed('a', { card: 'a', amount: 1, status: 'boom', at: 1 }, 1);
    h.feed('b', { card: 'b', amount: 2, status: 'ok', at: 2 }, 2);
    const out = h.outputs();
    const dead = bodies(out, OUT_DEAD_LETTER);
    expect(dead).toHaveLength(1);
    expect(dead[0]).toMatchObject({ reason: 'user-function', record: { card: 'a', amount: 1, status: 'boom', at: 1 } });
    expect(dead[0]!.detail).toMatch(/^bad status \(thrown at .*pipeline-operator\.test\.ts:\d+:\d+\) \(at .*pipeline-operator\.test\.ts:\d+:\d+\)$/);
    expect(bodies(out, 0)).toEqual([{ card: 'b', amount: 2, status: 'ok', at: 2 }]);
  });

  it('fails the run with ERR_USER_FUNCTION naming the job file line when onUserError is fail', () => {
    const h = harness(throwing(), { onUserError: 'fail' });
    let err: unknown;
    try {
      h.feed('a', { card: 'a', amount: 1, status: 'boom', at: 1 }, 1);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SabreError);
    expect((err as SabreError).code).toBe('ERR_USER_FUNCTION');
    expect((err as Error).message).toMatch(/pipeline-operator\.test\.ts:\d+:\d+: filter threw: bad status/);
  });

  it('dead-letters a record whose map returns no object', () => {
    const h = harness(job({ source }).map((t) => (t.amount > 1 ? null : t) as never));
    h.feed('a', { card: 'a', amount: 5, status: 'ok', at: 1 }, 1);
    const [d] = bodies(h.outputs(), OUT_DEAD_LETTER);
    expect(d).toMatchObject({ reason: 'user-function', record: { card: 'a', amount: 5 } });
    expect(d!.detail).toMatch(/map must return an object, it returned null/);
  });
});

describe('PipelineOperator: snapshots', () => {
  it('restores into a fresh operator that then gives the same outputs', () => {
    const stream = job({ source }).keyBy('card').window(tumbling(1000)).aggregate({ n: count(), total: sum('amount') });
    const early: [string, number, number][] = [['a', 1, 100], ['b', 2, 300], ['a', 3, 1200], ['c', 4, 1900]];
    const later: [string, number, number][] = [['a', 5, 1950], ['b', 6, 2100], ['c', 7, 2500]];
    const feed = (h: ReturnType<typeof harness>, rows: [string, number, number][]) => {
      for (const [k, amount, ts] of rows) h.feed(k, { card: k, amount, status: 'ok', at: ts }, ts);
    };
    const a = harness(stream);
    feed(a, early);
    a.outputs();
    const snap = a.op.snapshotState();
    feed(a, later);
    a.op.onWatermark(0, Infinity);
    // Windows due at the same watermark fire in timer order, which a restore may change: compare as sets.
    const sorted = (os: Output[]) => os.map((o) => JSON.stringify(o.body)).sort();
    const expected = sorted(a.outputs());
    expect(expected.length).toBeGreaterThan(2);

    const b = harness(stream);
    b.op.restoreState([{ where: 'mem', read: () => snap }]);
    feed(b, later);
    b.op.onWatermark(0, Infinity);
    expect(sorted(b.outputs())).toEqual(expected);
  });

  it('refuses a file that is not a pipeline snapshot with ERR_CHECKPOINT_CORRUPT', () => {
    const h = harness(job({ source }).keyBy('card').window(tumbling(1000)).aggregate({ n: count() }));
    const bad = new TextEncoder().encode('SBRSNAP1 and then some more bytes');
    expect(() => h.op.restoreState([{ where: 'w.snap', read: () => bad }])).toThrowError(expect.objectContaining({ code: 'ERR_CHECKPOINT_CORRUPT' }));
  });
});

describe('PipelineOperator: lookup and process stages (their implementations are test doubles here)', () => {
  const cards = fileTable<{ id: string; tier: string }>('cards.ndjson', { key: 'id' });
  const table = (rows: Record<string, { id: string; tier: string }>) => () => ({ version: 'v1', get: (k: unknown) => rows[String(k)] ?? null, maybeReload: () => {} });

  it('adds the table row under `as` (null when there is none) and reloads tables on the processing-time tick', () => {
    let reloads = 0;
    const h = harness(job({ source }).lookup(cards, { on: 'card', as: 'info' }).filter((t) => t.info?.tier !== 'blocked'), {
      makeTable: () => ({ ...table({ a: { id: 'a', tier: 'gold' }, z: { id: 'z', tier: 'blocked' } })(), maybeReload: () => { reloads++; } }) as never,
    });
    h.feed('a', { card: 'a', amount: 1, status: 'ok', at: 1 }, 1);
    h.feed('b', { card: 'b', amount: 2, status: 'ok', at: 2 }, 2);
    h.feed('z', { card: 'z', amount: 3, status: 'ok', at: 3 }, 3);
    expect(bodies(h.outputs(), 0)).toEqual([
      { card: 'a', amount: 1, status: 'ok', at: 1, info: { id: 'a', tier: 'gold' } },
      { card: 'b', amount: 2, status: 'ok', at: 2, info: null },
    ]);
    h.op.onProcessingTime(1000);
    expect(reloads).toBe(1);
  });

  it('hands a process stage plain records when its function may keep them, runs its outputs through the after-stages, and dead-letters what it throws', () => {
    const seen: unknown[] = [];
    const fakeProcess = (_fn: unknown, o: { emit: (out: object, t: number) => void; partitions: number[] }) => ({
      keys: 0, wm: new Float64Array(o.partitions.length),
      record(_pi: number, _h: number, _src: Uint8Array, _ks: number, _kl: number, rec: { card: string; amount: number }) {
        if (rec.amount < 0) throw new Error('negative');
        seen.push(rec);
        o.emit({ card: rec.card, doubled: rec.amount * 2 }, 42);
      },
      watermark() {}, processingTime() {}, snapshot: () => new Uint8Array([1, 2, 3]),
      restore(parts: Uint8Array[]) { restored.push(...parts.map((x) => [...x])); }, close() {},
    });
    const restored: number[][] = [];
    // This onRecord keeps its record (record-escape.ts), so the stage (a double that keeps them too) must get copies.
    const kept: unknown[] = [];
    const h = harness(job({ source }).keyBy('card').process({ onRecord(t) { kept.push(t); } }).filter((o: { doubled: number }) => o.doubled > 2), {
      makeProcess: fakeProcess as never,
    });
    h.feed('a', { card: 'a', amount: 1, status: 'ok', at: 1 }, 1);
    h.feed('a', { card: 'a', amount: 5, status: 'ok', at: 2 }, 2);
    h.feed('a', { card: 'a', amount: -1, status: 'ok', at: 3 }, 3);
    const out = h.outputs();
    expect(out.filter((o) => o.target === 0)).toEqual([{ target: 0, time: 42, ingest: 1, body: { card: 'a', doubled: 10 } }]);
    expect(bodies(out, OUT_DEAD_LETTER)).toEqual([{ reason: 'user-function', detail: expect.stringMatching(/^negative \(thrown at .*pipeline-operator\.test\.ts:\d+:\d+\) \(at .*\)$/), record: { card: 'a', amount: -1, status: 'ok', at: 3 } }]);
    expect(seen).toEqual([{ card: 'a', amount: 1, status: 'ok', at: 1 }, { card: 'a', amount: 5, status: 'ok', at: 2 }]);
    // Its snapshot section comes back to the process stage of the restoring operator, from every file.
    const snap = h.op.snapshotState();
    const fresh = harness(job({ source }).keyBy('card').process({ onRecord() {} }), { makeProcess: fakeProcess as never });
    fresh.op.restoreState([{ where: 'w0', read: () => snap }, { where: 'w1', read: () => snap }]);
    expect(restored).toEqual([[1, 2, 3], [1, 2, 3]]);
  });

  it('hands a process function that only reads fields the reused view\'s record, read while the call lasts', () => {
    const read: unknown[] = [];
    const handed: object[] = [];
    const viewProcess = (fn: { onRecord(r: unknown, ctx: unknown): void }) => ({
      keys: 0, wm: new Float64Array(1),
      record(_pi: number, _h: number, _src: Uint8Array, _ks: number, _kl: number, rec: object) { handed.push(rec); fn.onRecord(rec, null); },
      watermark() {}, processingTime() {}, snapshot: () => new Uint8Array(0), restore() {}, close() {},
    });
    const h = harness(job({ source }).keyBy('card').process({ onRecord(t) { read.push([t.card, t.amount]); } }), { makeProcess: viewProcess as never });
    h.feed('a', { card: 'a', amount: 1, status: 'ok', at: 1 }, 1);
    h.feed('b', { card: 'b', amount: 5, status: 'ok', at: 2 }, 2);
    expect(read).toEqual([['a', 1], ['b', 5]]);
    // One object, its fields getters over the ring (not a copy per record).
    expect(handed[0]).toBe(handed[1]);
    expect(Object.getOwnPropertyDescriptor(handed[0], 'card')?.get).toBeTypeOf('function');
  });
});
