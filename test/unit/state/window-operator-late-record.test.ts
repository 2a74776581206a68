// A late record changes nothing (docs/SEMANTICS.md, "Watermarks, firing and lateness"): driven
// directly on the worker's WindowOperator, a record whose every window is past allowed lateness
// goes to the late output and moves neither maxTs nor the watermark, adds no key and opens no window —
// so one far-future late record cannot make every later on-time record of its partition late.
import { describe, expect, it } from 'vitest';
import { WindowOperator, type Emitter } from '../../../dist/src/state/window-operator.js';
import { IN_INGEST, IN_TS, IN_VALUE } from '../../../dist/src/state/record-io.js';
import { F_COUNT, F_END, F_START, I_KEY } from '../../../dist/src/state/window-slots.js';
import { murmur2, type WindowSpec } from '../../../dist/src/index.js';

const enc = new TextEncoder();

function operator(window: WindowSpec) {
  const firings: { key: string; start: number; end: number; count: number }[] = [];
  const late: { key: string; ts: number; watermark: number }[] = [];
  const emitter: Emitter = {
    result(op, s) {
      const id = op.slots.int(s, I_KEY);
      const key = Buffer.from(op.keys.arena.subarray(op.keys.keyOffset(id), op.keys.keyOffset(id) + op.keys.keyLength(id))).toString();
      firings.push({ key, start: op.slots.float(s, F_START), end: op.slots.float(s, F_END), count: op.slots.float(s, F_COUNT) });
    },
    late(_h, src, ks, kl, ts, _v, _i, watermark) { late.push({ key: Buffer.from(src.subarray(ks, ks + kl)).toString(), ts, watermark }); },
  };
  const op = new WindowOperator({ window, outOfOrderness: 200, allowedLateness: 0, partitions: [0] }, emitter);
  const feed = (key: string, ts: number): void => {
    const bytes = enc.encode(key);
    op.io[IN_TS] = ts;
    op.io[IN_VALUE] = 1;
    op.io[IN_INGEST] = 0;
    op.record(0, murmur2(bytes), bytes, 0, bytes.length);
  };
  return { op, feed, firings, late };
}

const WINDOWS: [string, WindowSpec][] = [
  ['tumbling', { kind: 'tumbling', size: 1000 }],
  ['sliding', { kind: 'sliding', size: 1000, slide: 500 }],
];

describe('a late record changes nothing', () => {
  for (const [name, window] of WINDOWS) {
    it(`${name}: a late record with a huge ts moves no watermark; later on-time records are not late`, () => {
      const { op, feed, firings, late } = operator(window);
      feed('a', 1000); // watermark 800
      expect(op.wm[0]).toBe(800);
      const keys = op.keys.size;
      const live = op.slots.live;
      feed('b', 1e300); // no window of ts can hold it: late
      expect(late).toEqual([{ key: 'b', ts: 1e300, watermark: 800 }]);
      expect(op.wm[0]).toBe(800);
      expect(op.maxTs[0]).toBe(1000);
      expect(op.keys.size).toBe(keys);
      expect(op.slots.live).toBe(live);
      feed('c', 900);
      feed('a', 1100);
      expect(late).toHaveLength(1);
      op.watermark(0, Infinity);
      expect(firings.filter((f) => f.key === 'c').map((f) => f.start)).toEqual(name === 'tumbling' ? [0] : [0, 500]);
      expect(firings.some((f) => f.key === 'b')).toBe(false);
    });

    it(`${name}: a late record adds no key and opens no window`, () => {
      const { op, feed, firings, late } = operator(window);
      feed('a', 6000); // watermark 5800
      const keys = op.keys.size;
      const live = op.slots.live;
      feed('z', 100);
      expect(late).toEqual([{ key: 'z', ts: 100, watermark: 5800 }]);
      expect(op.keys.size).toBe(keys);
      expect(op.slots.live).toBe(live);
      expect(op.wm[0]).toBe(5800);
      op.watermark(0, Infinity);
      expect(firings.every((f) => f.key === 'a')).toBe(true);
    });
  }

  it('session: a late record of a new key adds no key and opens no session; one that merges into a live session is on time', () => {
    const { op, feed, firings, late } = operator({ kind: 'session', gap: 500 });
    feed('a', 2000); // watermark 1800; a's session [2000, 2500) is live
    const keys = op.keys.size;
    feed('z', 100); // [100, 600) ends before the watermark and z has no session: late
    expect(late).toEqual([{ key: 'z', ts: 100, watermark: 1800 }]);
    expect(op.keys.size).toBe(keys);
    expect(op.slots.live).toBe(1);
    feed('a', 1600); // [1600, 2100) would be expired alone, but it overlaps a's live session: merged, on time
    expect(late).toHaveLength(1);
    expect(op.wm[0]).toBe(1800);
    op.watermark(0, Infinity);
    expect(firings).toEqual([{ key: 'a', start: 1600, end: 2500, count: 2 }]);
  });
});
