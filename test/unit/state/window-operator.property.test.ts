// Window assignment properties, checked against the engine's own assigner:
// src/state/window-operator.ts's WindowOperator (what every worker runs),
// driven directly with an Emitter that records its firings. The expected
// windows are computed here from docs/SEMANTICS.md ("Windows") by plain
// enumeration, with no code shared with the operator.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { WindowOperator, type Emitter } from '../../../dist/src/state/window-operator.js';
import { IN_INGEST, IN_TS, IN_VALUE } from '../../../dist/src/state/record-io.js';
import { F_COUNT, F_END, F_MAX, F_MIN, F_START, F_SUM, I_KEY } from '../../../dist/src/state/window-slots.js';
import { FIRE_NAMES } from '../../../dist/src/codec/out-frames.js';
import { murmur2, type WindowSpec } from '../../../dist/src/index.js';

const enc = new TextEncoder();
const KEYS = ['a', 'b', 'ключ', 'd'];

interface Firing { key: string; start: number; end: number; count: number; sum: number; min: number; max: number; fire: string }
type Rec = [key: string, ts: number, value: number];

/** A one-partition operator and the firings and late records it emits. */
function operator(window: WindowSpec, outOfOrderness: number): { op: WindowOperator; firings: Firing[]; late: Rec[] } {
  const firings: Firing[] = [];
  const late: Rec[] = [];
  const emitter: Emitter = {
    result(op, s, fire) {
      const sl = op.slots;
      const id = sl.int(s, I_KEY);
      const key = Buffer.from(op.keys.arena.subarray(op.keys.keyOffset(id), op.keys.keyOffset(id) + op.keys.keyLength(id))).toString();
      firings.push({
        key, start: sl.float(s, F_START), end: sl.float(s, F_END), count: sl.float(s, F_COUNT), sum: sl.float(s, F_SUM),
        min: sl.float(s, F_MIN), max: sl.float(s, F_MAX), fire: FIRE_NAMES[fire]!,
      });
    },
    late(_h, src, ks, kl, ts, value) { late.push([Buffer.from(src.subarray(ks, ks + kl)).toString(), ts, value]); },
  };
  return { op: new WindowOperator({ window, outOfOrderness, allowedLateness: 0, partitions: [0] }, emitter), firings, late };
}

function feed(op: WindowOperator, recs: Rec[]): void {
  for (const [key, ts, value] of recs) {
    const bytes = enc.encode(key);
    op.io[IN_TS] = ts;
    op.io[IN_VALUE] = value;
    op.io[IN_INGEST] = 0;
    op.record(0, murmur2(bytes), bytes, 0, bytes.length);
  }
}

/** Expected per-(key, start) aggregates: every record in every window [s, s+size) with s a multiple of slide and s <= ts < s+size. */
function expectedFixed(recs: Rec[], size: number, slide: number): Map<string, { count: number; sum: number; min: number; max: number }> {
  const m = new Map<string, { count: number; sum: number; min: number; max: number }>();
  for (const [key, ts, value] of recs) {
    let hits = 0;
    // Candidate starts, by enumeration over multiples of slide (no alignment shortcut).
    for (let k = Math.ceil((ts - size + 1) / slide) - 1; k * slide <= ts; k++) {
      const s = k * slide;
      if (!(s <= ts && ts < s + size)) continue;
      hits++;
      const id = `${key}|${s}`;
      const a = m.get(id) ?? { count: 0, sum: 0, min: Infinity, max: -Infinity };
      a.count++;
      a.sum += value;
      a.min = Math.min(a.min, value);
      a.max = Math.max(a.max, value);
      m.set(id, a);
    }
    // A record lands in ceil(size / slide) or floor(size / slide) windows.
    expect(hits === Math.ceil(size / slide) || hits === Math.floor(size / slide)).toBe(true);
  }
  return m;
}

const ts = fc.integer({ min: -50_000, max: 50_000 });
const value = fc.integer({ min: -1000, max: 1000 });
const recs = fc.array(fc.tuple(fc.constantFrom(...KEYS), ts, value), { minLength: 1, maxLength: 150 });
const byTime = (rs: Rec[]): Rec[] => [...rs].sort((x, y) => x[1] - y[1]);

function checkFixed(window: WindowSpec, rs: Rec[], outOfOrderness: number, size: number, slide: number): void {
  const { op, firings, late } = operator(window, outOfOrderness);
  feed(op, rs);
  op.watermark(0, Infinity);
  expect(late).toEqual([]);
  const want = expectedFixed(rs, size, slide);
  // Each window fires exactly once, on the watermark, with exactly the records that fall in it.
  expect(firings.every((f) => f.fire === 'watermark')).toBe(true);
  expect(new Set(firings.map((f) => `${f.key}|${f.start}`)).size).toBe(firings.length);
  expect(firings.length).toBe(want.size);
  for (const f of firings) {
    expect(f.end - f.start).toBe(size);
    expect(((f.start % slide) + slide) % slide).toBe(0);
    expect({ count: f.count, sum: f.sum, min: f.min, max: f.max }).toEqual(want.get(`${f.key}|${f.start}`));
  }
}

describe('WindowOperator assigns records to exactly the aligned windows containing them (property)', () => {
  it('tumbling: disordered data held back by a large bound, and in-order data firing as the watermark passes', () => {
    fc.assert(fc.property(recs, fc.integer({ min: 1, max: 5000 }), (rs, size) => {
      checkFixed({ kind: 'tumbling', size }, rs, 1e9, size, size);
      checkFixed({ kind: 'tumbling', size }, byTime(rs), 0, size, size);
    }), { numRuns: 200 });
  });

  it('sliding (size any multiple or non-multiple of the slide)', () => {
    fc.assert(fc.property(recs, fc.integer({ min: 1, max: 2000 }), fc.integer({ min: 1, max: 8 }), fc.integer({ min: 0, max: 1999 }),
      (rs, slide, k, extra) => {
        const size = slide * k + (extra % slide);
        checkFixed({ kind: 'sliding', size, slide }, rs, 1e9, size, slide);
        checkFixed({ kind: 'sliding', size, slide }, byTime(rs), 0, size, slide);
      }), { numRuns: 200 });
  });
});

/** Sessions by definition: a key's sorted times split wherever the next is >= gap after the previous; window [first, last + gap). */
function expectedSessions(rs: Rec[], gap: number): string[] {
  const out: string[] = [];
  for (const key of KEYS) {
    const mine = byTime(rs.filter((r) => r[0] === key));
    let i = 0;
    while (i < mine.length) {
      let j = i;
      while (j + 1 < mine.length && mine[j + 1]![1] - mine[j]![1] < gap) j++;
      const part = mine.slice(i, j + 1);
      const vs = part.map((r) => r[2]);
      out.push(JSON.stringify([key, part[0]![1], part.at(-1)![1] + gap, part.length, vs.reduce((a, v) => a + v, 0), Math.min(...vs), Math.max(...vs)]));
      i = j + 1;
    }
  }
  return out.sort();
}

function sessions(rs: Rec[], gap: number, outOfOrderness: number): string[] {
  const { op, firings, late } = operator({ kind: 'session', gap }, outOfOrderness);
  feed(op, rs);
  op.watermark(0, Infinity);
  expect(late).toEqual([]);
  expect(firings.every((f) => f.fire === 'watermark')).toBe(true);
  return firings.map((f) => JSON.stringify([f.key, f.start, f.end, f.count, f.sum, f.min, f.max])).sort();
}

// Times on a coarse grid, so records exactly one gap apart (separate sessions: the proto-window [ts, ts+gap)
// does not intersect [s, last+gap) when ts = last+gap) and exactly touching windows are common.
const sessionRecs = fc.array(fc.tuple(fc.constantFrom(...KEYS), fc.integer({ min: -40, max: 40 }).map((t) => t * 25), value),
  { minLength: 1, maxLength: 150 });
const gap = fc.oneof(fc.integer({ min: 1, max: 8 }).map((k) => k * 25), fc.integer({ min: 1, max: 300 }));

describe('WindowOperator session merging (property)', () => {
  it('in-order data, firing as the watermark passes, gives the sessions of the definition', () => {
    fc.assert(fc.property(sessionRecs, gap, (rs, gap) => {
      expect(sessions(byTime(rs), gap, 0)).toEqual(expectedSessions(rs, gap));
    }), { numRuns: 200 });
  });

  it('the order records arrive in does not matter while nothing fires (merges are order-independent)', () => {
    fc.assert(fc.property(sessionRecs, gap, fc.integer(), (rs, gap, seed) => {
      const shuffled = fc.sample(fc.shuffledSubarray(rs, { minLength: rs.length, maxLength: rs.length }), { seed, numRuns: 1 })[0]!;
      const inOrder = sessions(byTime(rs), gap, 1e9);
      expect(sessions(shuffled, gap, 1e9)).toEqual(inOrder);
      expect(sessions([...rs].reverse(), gap, 1e9)).toEqual(inOrder);
      expect(inOrder).toEqual(expectedSessions(rs, gap));
    }), { numRuns: 200 });
  });
});
