import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { MERGE_BLOCKED, MERGE_DONE, ReplayMerge } from '../../../../../dist/src/io/kafka/source/replay-merge.js';

interface Rec { p: number; offset: number; ts: number }

/** The merge order written out: repeatedly the head with the smallest (timestamp, partition). */
function expected(parts: number[][]): Rec[] {
  const heads = parts.map(() => 0);
  const out: Rec[] = [];
  for (;;) {
    let best = -1;
    for (let p = 0; p < parts.length; p++) {
      if (heads[p]! < parts[p]!.length && (best < 0 || parts[p]![heads[p]!]! < parts[best]![heads[best]!]!)) best = p;
    }
    if (best < 0) return out;
    out.push({ p: best, offset: heads[best]!, ts: parts[best]![heads[best]!]! });
    heads[best]!++;
  }
}

describe('ReplayMerge (--replay order)', () => {
  it('chooses only when every partition still read has a record', () => {
    const m = new ReplayMerge<string>(2);
    expect(m.nextPartition()).toBe(MERGE_BLOCKED);
    m.push(1, 'b0', 5);
    expect(m.nextPartition()).toBe(MERGE_BLOCKED);
    m.push(0, 'a0', 7);
    expect(m.nextPartition()).toBe(1);
    expect(m.take(1)).toBe('b0');
    expect(m.nextPartition()).toBe(MERGE_BLOCKED); // partition 1 could still bring a record below 7
    m.finish(1);
    expect(m.nextPartition()).toBe(0);
    expect(m.take(0)).toBe('a0');
    m.finish(0);
    expect(m.nextPartition()).toBe(MERGE_DONE);
  });

  it('ties go to the lower partition; full() and wantsMore() bound each buffer', () => {
    const m = new ReplayMerge<number>(2, 3, 2);
    for (let i = 0; i < 3; i++) m.push(1, i, 10);
    m.push(0, 100, 10);
    expect(m.full(1)).toBe(true);
    expect(m.wantsMore(1)).toBe(false);
    expect(m.nextPartition()).toBe(0);
    m.take(0);
    m.finish(0);
    m.take(m.nextPartition());
    m.take(m.nextPartition());
    expect(m.wantsMore(1)).toBe(true);
  });

  it('the order is the same however the records arrive (property)', () => {
    const partsArb = fc.array(fc.array(fc.integer({ min: 0, max: 50 }), { maxLength: 40 }), { minLength: 1, maxLength: 6 });
    fc.assert(fc.property(partsArb, fc.array(fc.nat(), { minLength: 1, maxLength: 300 }), (parts, schedule) => {
      const m = new ReplayMerge<Rec>(parts.length, 4, 2);
      const fed = parts.map(() => 0);
      const out: Rec[] = [];
      const drain = (): void => {
        for (let p = m.nextPartition(); p >= 0; p = m.nextPartition()) out.push(m.take(p));
      };
      const feed = (p: number, n: number): void => {
        for (let i = 0; i < n && fed[p]! < parts[p]!.length && !m.full(p); i++) {
          m.push(p, { p, offset: fed[p]!, ts: parts[p]![fed[p]!]! }, parts[p]![fed[p]!]!);
          fed[p]!++;
        }
        if (fed[p] === parts[p]!.length) m.finish(p);
      };
      // Arrival order and batch sizes from the schedule, then everything left.
      for (const s of schedule) {
        feed(s % parts.length, 1 + (s % 5));
        drain();
      }
      for (let left = true; left;) {
        left = false;
        for (let p = 0; p < parts.length; p++) {
          if (!m.isFinished(p)) { feed(p, 5); left = true; }
        }
        drain();
      }
      expect(m.nextPartition()).toBe(MERGE_DONE);
      expect(out).toEqual(expected(parts));
    }), { numRuns: 200 });
  });
});
