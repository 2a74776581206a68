// Hand-computed cases for the reference of docs/SEMANTICS.md. Every expected
// line below was worked out on paper from that page; the comments show the
// watermark at each step. If the reference and this file disagree, read the
// page again before changing either.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  assignSliding,
  assignTumbling,
  canonicalLines,
  runReference,
  type RefOptions,
  type RefRecord,
  type RefUserAggregate,
} from '../../reference/reference-job.js';

const rec = (key: string, ts: number, value: number): RefRecord => ({ key, ts, value });
const ONE_PARTITION = { partitions: 1, partitionOf: () => 0 };
const CSMM = ['count', 'sum', 'min', 'max'];

function run(records: RefRecord[], opts: Partial<RefOptions> & Pick<RefOptions, 'window'>) {
  const { results, late } = runReference(records, {
    aggregates: CSMM,
    outOfOrderness: 0,
    allowedLateness: 0,
    ...ONE_PARTITION,
    ...opts,
  });
  return { lines: results.map((r) => JSON.stringify(r)), late };
}

const line = (key: string, start: number, end: number, count: number, sum: number, min: number, max: number, fire: string) =>
  JSON.stringify({ key, start, end, count, sum, min, max, fire });

describe('tumbling', () => {
  it('fires each key window once the watermark reaches its end; a record behind the watermark is late', () => {
    const records = [rec('a', 1, 1), rec('a', 5, 2), rec('b', 7, 10), rec('a', 12, 3), rec('a', 9, 100), rec('b', 25, 4)];
    const { lines, late } = run(records, { window: { kind: 'tumbling', size: 10 } });
    expect(lines).toEqual([
      line('a', 0, 10, 2, 3, 1, 2, 'watermark'), // a@12: wm 12 >= 10
      line('b', 0, 10, 1, 10, 10, 10, 'watermark'),
      line('a', 10, 20, 1, 3, 3, 3, 'watermark'), // b@25: wm 25 >= 20
      line('b', 20, 30, 1, 4, 4, 4, 'watermark'), // END
    ]);
    expect(late).toEqual([rec('a', 9, 100)]); // [0,10) ended at 10 <= wm 12
  });

  it('out-of-orderness holds the watermark back; end == wm fires', () => {
    const records = [rec('a', 3, 1), rec('a', 12, 2), rec('a', 8, 3), rec('a', 15, 4), rec('a', 2, 5)];
    const { lines, late } = run(records, { window: { kind: 'tumbling', size: 10 }, outOfOrderness: 5 });
    expect(lines).toEqual([
      line('a', 0, 10, 2, 4, 1, 3, 'watermark'), // a@12: wm 7, a@8 on time; a@15: wm 10
      line('a', 10, 20, 2, 6, 2, 4, 'watermark'), // END
    ]);
    expect(late).toEqual([rec('a', 2, 5)]); // wm 10, [0,10) expired
  });

  it('allowed lateness: late records update and re-fire the window until end + lateness <= wm', () => {
    const records = [
      rec('a', 1, 1),
      rec('a', 11, 2), // wm 11: [0,10) fires, kept until wm >= 15
      rec('a', 4, 3), // updates [0,10), late firing
      rec('b', 9, 50), // b's [0,10) never existed: created, fired late at once
      rec('a', 14, 4), // wm 14
      rec('a', 6, 5), // late firing again
      rec('a', 15, 6), // wm 15: [0,10) dropped
      rec('a', 7, 7), // expired: late output
    ];
    const { lines, late } = run(records, { window: { kind: 'tumbling', size: 10 }, allowedLateness: 5 });
    expect(lines).toEqual([
      line('a', 0, 10, 1, 1, 1, 1, 'watermark'),
      line('a', 0, 10, 2, 4, 1, 3, 'late'),
      line('b', 0, 10, 1, 50, 50, 50, 'late'),
      line('a', 0, 10, 3, 9, 1, 5, 'late'),
      line('a', 10, 20, 3, 12, 2, 6, 'watermark'), // END
    ]);
    expect(late).toEqual([rec('a', 7, 7)]);
  });

  it('a window whose end equals the watermark has fired: a record for it fires late', () => {
    const records = [rec('a', 1, 1), rec('a', 10, 2), rec('a', 3, 3)]; // a@10: wm 10 == end of [0,10)
    const { lines, late } = run(records, { window: { kind: 'tumbling', size: 10 }, allowedLateness: 1 });
    expect(lines).toEqual([
      line('a', 0, 10, 1, 1, 1, 1, 'watermark'),
      line('a', 0, 10, 2, 4, 1, 3, 'late'),
      line('a', 10, 20, 1, 2, 2, 2, 'watermark'),
    ]);
    expect(late).toEqual([]);
  });
});

describe('sliding', () => {
  it('assigns every overlapping window; a record is late only if all its windows expired', () => {
    const records = [
      rec('a', 7, 1), // [0,10) [5,15)
      rec('a', 12, 2), // [5,15) [10,20); wm 12 fires [0,10)
      rec('a', 3, 4), // [-5,5) and [0,10) both expired: late
      rec('a', 9, 8), // [0,10) expired, [5,15) updated: not late
      rec('a', 20, 16), // [15,25) [20,30); wm 20 fires [5,15) [10,20)
    ];
    const { lines, late } = run(records, { window: { kind: 'sliding', size: 10, slide: 5 }, aggregates: ['count', 'sum'] });
    const l = (start: number, count: number, sum: number) => JSON.stringify({ key: 'a', start, end: start + 10, count, sum, fire: 'watermark' });
    expect(lines).toEqual([l(0, 1, 1), l(5, 3, 11), l(10, 1, 2), l(15, 1, 16), l(20, 1, 16)]);
    expect(late).toEqual([rec('a', 3, 4)]);
  });
});

describe('session', () => {
  it('extends a session within the gap and closes it on the watermark', () => {
    const records = [
      rec('a', 0, 1), // [0,10)
      rec('a', 5, 2), // [5,15) merges: [0,15)
      rec('a', 30, 3), // new [30,40); wm 30 fires [0,15)
      rec('a', 32, 4), // [30,42)
      rec('b', 31, 5), // [31,41)
      rec('a', 60, 6), // wm 60 fires b[31,41) then a[30,42)
    ];
    const { lines, late } = run(records, { window: { kind: 'session', gap: 10 } });
    expect(lines).toEqual([
      line('a', 0, 15, 2, 3, 1, 2, 'watermark'),
      line('b', 31, 41, 1, 5, 5, 5, 'watermark'),
      line('a', 30, 42, 2, 7, 3, 4, 'watermark'),
      line('a', 60, 70, 1, 6, 6, 6, 'watermark'),
    ]);
    expect(late).toEqual([]);
  });

  it('a record bridging two sessions merges them into the first, in start order, then is added', () => {
    const records = [
      rec('a', 0, 0.2), // [0,10)
      rec('a', 15, 0.4), // [15,25)
      rec('a', 9, 0.3), // proto [9,19) intersects both: [0,25)
      rec('b', 0, 1), // [0,10)
      rec('b', 10, 2), // proto [10,20) only touches [0,10): separate
    ];
    const { lines } = run(records, { window: { kind: 'session', gap: 10 }, outOfOrderness: 100 });
    expect(lines).toEqual([
      line('b', 0, 10, 1, 1, 1, 1, 'watermark'),
      line('b', 10, 20, 1, 2, 2, 2, 'watermark'),
      // (0.2 + 0.4) + 0.3; the other orders give 0.9 and 0.8999999999999999
      line('a', 0, 25, 3, 0.9000000000000001, 0.2, 0.4, 'watermark'),
    ]);
  });

  it('a session that absorbs a fired session fires "late"; an expired proto-window is late output', () => {
    const records = [
      rec('a', 0, 1), // [0,10)
      rec('a', 12, 2), // [12,22); wm 12 fires [0,10), kept until wm >= 20
      rec('a', 8, 3), // proto [8,18) bridges: [0,22), absorbed a fired window, end 22 > wm 12
      rec('a', 25, 4), // [25,35); wm 25 fires [0,22) as late
      rec('a', 1, 5), // proto [1,11) merges into [0,22), end 22 <= wm 25: late firing at once
      rec('a', 40, 6), // wm 40 fires [25,35); drops [0,22) (22 + 10 <= 40)
      rec('a', 2, 7), // proto [2,12), nothing retained, 12 + 10 <= 40: late output
    ];
    const { lines, late } = run(records, { window: { kind: 'session', gap: 10 }, allowedLateness: 10 });
    expect(lines).toEqual([
      line('a', 0, 10, 1, 1, 1, 1, 'watermark'),
      line('a', 0, 22, 3, 6, 1, 3, 'late'),
      line('a', 0, 22, 4, 11, 1, 5, 'late'),
      line('a', 25, 35, 1, 4, 4, 4, 'watermark'),
      line('a', 40, 50, 1, 6, 6, 6, 'watermark'),
    ]);
    expect(late).toEqual([rec('a', 2, 7)]);
  });
});

describe('per-partition watermarks', () => {
  const records = [rec('a', 1, 1), rec('b', 2, 2), rec('a', 50, 3), rec('b', 5, 4)];

  it('a partition fires on its own watermark only; one without new data holds its windows', () => {
    const { lines, late } = run(records, {
      window: { kind: 'tumbling', size: 10 },
      partitions: 3, // partition 2 never receives anything and emits nothing
      partitionOf: (key) => (key === 'a' ? 0 : 1),
    });
    expect(lines).toEqual([
      line('a', 0, 10, 1, 1, 1, 1, 'watermark'), // partition 0: wm 50
      line('a', 50, 60, 1, 3, 3, 3, 'watermark'), // END, partition 0
      line('b', 0, 10, 2, 6, 2, 4, 'watermark'), // END, partition 1 (its wm stayed at 5)
    ]);
    expect(late).toEqual([]);
  });

  it('the same records in one partition: b@5 is behind the shared watermark', () => {
    const { lines, late } = run(records, { window: { kind: 'tumbling', size: 10 } });
    expect(lines).toEqual([
      line('a', 0, 10, 1, 1, 1, 1, 'watermark'),
      line('b', 0, 10, 1, 2, 2, 2, 'watermark'),
      line('a', 50, 60, 1, 3, 3, 3, 'watermark'),
    ]);
    expect(late).toEqual([rec('b', 5, 4)]);
  });

  it('rejects a partitionOf outside [0, partitions)', () => {
    expect(() => run(records, { window: { kind: 'tumbling', size: 10 }, partitions: 2, partitionOf: () => 2 })).toThrow(/partitionOf/);
  });
});

describe('aggregates', () => {
  const values: RefUserAggregate = {
    name: 'values',
    init: () => [],
    add: (acc, v) => [...(acc as number[]), v],
    merge: (a, b) => [...(a as number[]), ...(b as number[])],
    result: (acc) => acc,
  };

  it('avg and a user aggregate, in the requested order; sessions merge user state in start order', () => {
    const records = [rec('a', 0, 1), rec('a', 15, 2), rec('a', 9, 4)];
    const { lines } = run(records, {
      window: { kind: 'session', gap: 10 },
      outOfOrderness: 100,
      aggregates: ['avg', 'values', 'count'],
      userAggregate: values,
    });
    expect(lines).toEqual(['{"key":"a","start":0,"end":25,"avg":2.3333333333333335,"values":[1,2,4],"count":3,"fire":"watermark"}']);
  });

  it('tumbling avg and user aggregate across late firings', () => {
    const records = [rec('a', 1, 3), rec('a', 11, 4), rec('a', 2, 6)];
    const { lines } = run(records, {
      window: { kind: 'tumbling', size: 10 },
      allowedLateness: 5,
      aggregates: ['values', 'avg'],
      userAggregate: values,
    });
    expect(lines).toEqual([
      '{"key":"a","start":0,"end":10,"values":[3],"avg":3,"fire":"watermark"}',
      '{"key":"a","start":0,"end":10,"values":[3,6],"avg":4.5,"fire":"late"}',
      '{"key":"a","start":10,"end":20,"values":[4],"avg":4,"fire":"watermark"}',
    ]);
  });

  it('rejects an aggregate that is neither built in nor the user aggregate', () => {
    expect(() => run([], { window: { kind: 'tumbling', size: 10 }, aggregates: ['median'] })).toThrow(/median/);
  });
});

describe('window assignment (property)', () => {
  const ts = fc.integer({ min: -1_000_000_000, max: 2_000_000_000_000 });
  const size = fc.integer({ min: 1, max: 5_000 });

  it('assignSliding: exactly the aligned windows that contain ts, ascending', () => {
    fc.assert(
      fc.property(ts, size, fc.integer({ min: 1, max: 5_000 }), (t, sz, sl) => {
        const starts = assignSliding(t, sz, sl);
        for (const s of starts) {
          expect(s <= t && t < s + sz).toBe(true);
          expect(Number.isInteger(s / sl)).toBe(true);
        }
        for (let i = 1; i < starts.length; i++) expect(starts[i]! - starts[i - 1]!).toBe(sl);
        // Complete: the aligned starts just outside the list do not contain ts.
        const first = starts[0] ?? Math.floor(t / sl) * sl + sl;
        expect(first - sl + sz <= t).toBe(true);
        expect((starts.at(-1) ?? first - sl) + sl > t).toBe(true);
        if (sz % sl === 0) expect(starts.length).toBe(sz / sl);
        expect([Math.floor(sz / sl), Math.ceil(sz / sl)]).toContain(starts.length);
      }),
    );
  });

  it('assignSliding with slide == size is the tumbling window', () => {
    fc.assert(
      fc.property(ts, size, (t, sz) => {
        expect(assignSliding(t, sz, sz)).toEqual([assignTumbling(t, sz)]);
      }),
    );
  });
});

describe('conservation (property)', () => {
  const records = fc.array(
    fc.record({ key: fc.constantFrom('a', 'b', 'c', 'd'), ts: fc.integer({ min: 0, max: 500 }), value: fc.integer({ min: -50, max: 50 }) }),
    { maxLength: 200 },
  );
  const windows = fc.oneof(
    fc.integer({ min: 1, max: 60 }).map((size) => ({ kind: 'tumbling' as const, size })),
    fc.integer({ min: 1, max: 60 }).map((gap) => ({ kind: 'session' as const, gap })),
  );

  it('without allowed lateness, every record is either late or counted in exactly one watermark firing', () => {
    fc.assert(
      fc.property(records, windows, fc.integer({ min: 0, max: 80 }), fc.integer({ min: 1, max: 3 }), (rs, window, bound, partitions) => {
        const { results, late } = runReference(rs, {
          window,
          aggregates: ['count', 'sum'],
          outOfOrderness: bound,
          allowedLateness: 0,
          partitions,
          partitionOf: (k) => k.charCodeAt(0) % partitions,
        });
        expect(results.every((r) => r.fire === 'watermark')).toBe(true);
        expect(results.reduce((n, r) => n + (r.count as number), 0) + late.length).toBe(rs.length);
        const lateSum = late.reduce((n, r) => n + r.value, 0);
        expect(results.reduce((n, r) => n + (r.sum as number), 0) + lateSum).toBe(rs.reduce((n, r) => n + r.value, 0));
      }),
    );
  });

  it('partitions are independent: P partitions equal P one-partition runs on the routed sub-sequences', () => {
    fc.assert(
      fc.property(records, windows, fc.integer({ min: 0, max: 80 }), fc.integer({ min: 0, max: 40 }), (rs, window, bound, lateness) => {
        const partitionOf = (k: string) => (k === 'a' || k === 'c' ? 0 : 1);
        const base = { window, aggregates: CSMM, outOfOrderness: bound, allowedLateness: lateness };
        const together = runReference(rs, { ...base, partitions: 2, partitionOf });
        const apart = [0, 1].map((p) => runReference(rs.filter((r) => partitionOf(r.key) === p), { ...base, ...ONE_PARTITION }));
        expect(canonicalLines(together.results)).toEqual(canonicalLines(apart.flatMap((x) => x.results)));
        expect(together.late.length).toBe(apart[0]!.late.length + apart[1]!.late.length);
      }),
    );
  });
});
