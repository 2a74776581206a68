import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { WindowOperator, type Emitter } from '../../../dist/src/state/window-operator.js';
import { IN_INGEST, IN_TS, IN_VALUE } from '../../../dist/src/state/record-io.js';
import { readSnapshot, restoreSnapshots, writeSnapshot, type SnapshotLayout } from '../../../dist/src/checkpoint/snapshot.js';
import { F_END, F_START, I_KEY } from '../../../dist/src/state/window-slots.js';
import type { UserAggregate } from '../../../dist/src/state/user-aggregate.js';
import { AggregateSet } from '../../../dist/src/operators/pipeline/aggregate-set.js';
import {
  approxCountDistinct, avg, count, countDistinct, first, last, max, percentile, stddev, sum, topN,
} from '../../../dist/src/job/aggregates.js';
import { murmur2, parseWindow } from '../../../dist/src/index.js';

const enc = new TextEncoder();
const layout: SnapshotLayout = { keyGroups: 8, partitions: 1, worker: 0, ownPartitions: [0] };

interface Trade { sym: string; venue: string | null; price: number | null }
type Rec = [key: string, ts: number, trade: Trade];

const specs = {
  n: count(), total: sum('price'), hi: max('price'), mean: avg('price'), sd: stddev('price'), open: first('price'), close: last('price'),
  venues: countDistinct('venue'), approxVenues: approxCountDistinct('venue', 6), p90: percentile('price', 0.9), busiest: topN('venue', 2),
};

/** An operator whose user aggregate is `ua`; results are "key start end userJSON fire" lines. */
function operator(window: string, ua: UserAggregate, lines: string[]): WindowOperator {
  const emitter: Emitter = {
    result(op, s, fire) {
      const id = op.slots.int(s, I_KEY);
      const key = Buffer.from(op.keys.arena.subarray(op.keys.keyOffset(id), op.keys.keyOffset(id) + op.keys.keyLength(id))).toString();
      lines.push(`${key} ${op.slots.float(s, F_START)} ${op.slots.float(s, F_END)} ${op.userResultJson(s)} ${fire}`);
    },
    late(_h, src, ks, kl, ts) { lines.push(`late ${Buffer.from(src.subarray(ks, ks + kl)).toString()} ${ts}`); },
  };
  return new WindowOperator({ window: parseWindow(window), outOfOrderness: 20, allowedLateness: 30, partitions: [0], userAggregate: ua }, emitter);
}

/** What the job window stage does per record: hand the aggregate set the record and its time, then the operator the key. */
function feed(op: WindowOperator, set: AggregateSet | undefined, recs: Rec[]): void {
  for (const [key, ts, trade] of recs) {
    const bytes = enc.encode(key);
    if (set) { set.record = trade; set.io[0] = ts; set.prepare?.(); }
    op.io[IN_TS] = ts;
    op.io[IN_VALUE] = trade.price ?? 0;
    op.io[IN_INGEST] = 0;
    op.record(0, murmur2(bytes), bytes, 0, bytes.length);
  }
}

const end = (op: WindowOperator): void => op.watermark(0, Infinity);

const records = fc.array(fc.tuple(
  fc.constantFrom('a', 'b', 'ключ'), fc.integer({ min: 0, max: 1500 }),
  fc.record({ sym: fc.constant('X'), venue: fc.oneof(fc.constantFrom('lse', 'xetra', 'nyse'), fc.constant(null)), price: fc.oneof(fc.integer({ min: 1, max: 500 }), fc.constant(null)) }),
), { minLength: 1, maxLength: 200 }).map((rs) => rs.map(([k, t, tr], i) => [k, t + i * 2, tr] as Rec));

describe('snapshot → restore with an AggregateSet as the user aggregate', () => {
  for (const window of ['tumbling:50', 'sliding:60,20', 'session:25']) {
    it(`${window}: the same snapshot bytes after restore, and the same results afterwards (property)`, () => {
      fc.assert(fc.property(records, records, (before, after) => {
        const aSet = new AggregateSet(specs);
        const aLines: string[] = [];
        const a = operator(window, aSet, aLines);
        feed(a, aSet, before);
        const bytes = writeSnapshot(a, layout);
        const bSet = new AggregateSet(specs);
        const bLines: string[] = [];
        const b = operator(window, bSet, bLines);
        restoreSnapshots(b, [readSnapshot(bytes, 'test')], layout);
        expect(writeSnapshot(b, layout)).toEqual(bytes);
        aLines.length = 0;
        feed(a, aSet, after); end(a);
        feed(b, bSet, after); end(b);
        expect([...bLines].sort()).toEqual([...aLines].sort());
        expect(aLines.length).toBeGreaterThan(0);
      }), { numRuns: 40 });
    });
  }

  it('stores what save() returns, and windows restored from it fire the same aggregates', () => {
    const set = new AggregateSet(specs);
    const op = operator('tumbling:100', set, []);
    feed(op, set, [['a', 10, { sym: 'X', venue: 'lse', price: 5 }], ['a', 20, { sym: 'X', venue: 'nyse', price: 7 }], ['a', 15, { sym: 'X', venue: null, price: null }]]);
    const snap = readSnapshot(writeSnapshot(op, layout), 'x');
    const stored = snap.groups.flatMap((g) => g.keys.flatMap((k) => k.windows.map((w) => w.user)));
    expect(stored).toEqual([JSON.parse(JSON.stringify(set.save(op.slots.user[0] as never)))]);
    const lines: string[] = [];
    const set2 = new AggregateSet(specs);
    const restored = operator('tumbling:100', set2, lines);
    restoreSnapshots(restored, [snap], layout);
    end(restored);
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!.split(' ')[3]!)).toEqual({
      n: 3, total: 12, hi: 7, mean: 6, sd: 1, open: 5, close: 7, venues: 2, approxVenues: 2, p90: expect.closeTo(5, 1) /* rank ⌊0.9·(2−1)⌋ = 0 */, busiest: [{ value: 'lse', count: 1 }, { value: 'nyse', count: 1 }],
    });
  });

  it('a user aggregate without save/load is stored as JSON.stringify(acc) and restored from JSON.parse, as before', () => {
    const plain: UserAggregate<{ xs: number[] }> = {
      name: 'values', init: () => ({ xs: [] }), add: (a, v) => { a.xs.push(v); return a; }, merge: (a, b) => ({ xs: [...a.xs, ...b.xs] }), result: (a) => a.xs,
    };
    const op = operator('session:25', plain as UserAggregate, []);
    feed(op, undefined, [['k', 10, { sym: 'X', venue: null, price: 1.5 }], ['k', 20, { sym: 'X', venue: null, price: 2 }]]);
    const bytes = writeSnapshot(op, layout);
    const text = Buffer.from(bytes).toString('latin1');
    expect(text).toContain(JSON.stringify({ xs: [1.5, 2] }));
    const lines: string[] = [];
    const b = operator('session:25', plain as UserAggregate, lines);
    restoreSnapshots(b, [readSnapshot(bytes, 'x')], layout);
    expect(writeSnapshot(b, layout)).toEqual(bytes);
    end(b);
    expect(lines.map((l) => l.split(' ')[3])).toEqual([JSON.stringify([1.5, 2])]);
  });
});
