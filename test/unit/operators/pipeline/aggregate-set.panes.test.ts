// An aggregate set of a sliding window whose size is a multiple of its slide
// keeps its exact distinct counts per pane (AggregateSet.panes): a record's
// value goes only into the set of the window that starts at its pane, and a
// window's count is the union of its set and those of the key's windows
// starting within it. Everything else in the set still folds every record.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { AggregateSet, type Acc } from '../../../../dist/src/operators/pipeline/aggregate-set.js';
import { count, countDistinct, sum } from '../../../../dist/src/job/aggregates.js';

const specs = { n: count(), d: countDistinct('m'), total: sum('x') };

function add(set: AggregateSet, acc: Acc, r: unknown, own: boolean): void {
  set.record = r;
  set.io[0] = 0;
  set.prepare?.();
  set.add(acc, 0, own);
}

describe('AggregateSet with panes', () => {
  it('is on only when asked and the set has an exact distinct count', () => {
    expect(new AggregateSet(specs, undefined, { panes: true }).panes).toBe(true);
    expect(new AggregateSet(specs).panes).toBe(false);
    expect(new AggregateSet({ n: count(), total: sum('x') }, undefined, { panes: true }).panes).toBe(false);
  });

  it('a window of several panes counts the distinct values of all of them, and only of them (property)', () => {
    const set = new AggregateSet(specs, undefined, { panes: true });
    // Records as (pane 0..3, merchant); windows of 3 panes starting at panes 0..3 (window w holds panes w..w+2).
    const recs = fc.array(fc.record({ pane: fc.integer({ min: 0, max: 3 }), m: fc.integer({ min: 0, max: 12 }), x: fc.integer({ min: -9, max: 9 }) }), { maxLength: 80 });
    fc.assert(fc.property(recs, (rs) => {
      const windows = [0, 1, 2, 3].map(() => set.init());
      for (const r of rs) {
        // As the window operator does: every window the record is in, the one starting at its pane first ("own").
        for (let w = r.pane; w >= Math.max(0, r.pane - 2); w--) add(set, windows[w]!, { m: `m${r.m}`, x: r.x }, w === r.pane);
      }
      for (let w = 0; w < 4; w++) {
        const inWindow = rs.filter((r) => r.pane >= w && r.pane <= w + 2);
        const later = windows.slice(w + 1, w + 3);
        expect(set.result(windows[w]!, {}, later, later.length)).toEqual({
          n: inWindow.length, d: new Set(inWindow.map((r) => r.m)).size, total: inWindow.reduce((s, r) => s + r.x, 0),
        });
      }
      // Each set holds its own pane only.
      windows.forEach((acc, w) => expect(set.result(acc).d).toBe(new Set(rs.filter((r) => r.pane === w).map((r) => r.m)).size));
    }), { numRuns: 200 });
  });

  it('without panes every add is the own pane: the set holds its whole window', () => {
    const set = new AggregateSet(specs);
    const acc = set.init();
    add(set, acc, { m: 'a', x: 1 }, true);
    set.record = { m: 'b', x: 2 };
    set.prepare?.();
    set.add(acc, 0); // no third argument: the flag-only operator's and the session's call
    expect(set.result(acc)).toEqual({ n: 2, d: 2, total: 3 });
  });

  it('checkpoints say so; per-pane and whole-window sets do not restore into each other (ERR_CHECKPOINT_CORRUPT)', () => {
    const panes = new AggregateSet(specs, undefined, { panes: true });
    const whole = new AggregateSet(specs);
    const acc = panes.init();
    add(panes, acc, { m: 'a', x: 1 }, true);
    const saved = JSON.parse(JSON.stringify(panes.save(acc)));
    expect(saved.panes).toBe(1);
    expect(panes.result(panes.load(saved))).toEqual({ n: 1, d: 1, total: 1 });
    expect(() => whole.load(saved)).toThrow(expect.objectContaining({ code: 'ERR_CHECKPOINT_CORRUPT', message: expect.stringMatching(/per pane/) }));
    const old = JSON.parse(JSON.stringify(whole.save(whole.init())));
    expect(old.panes).toBeUndefined();
    expect(() => panes.load(old)).toThrow(expect.objectContaining({ code: 'ERR_CHECKPOINT_CORRUPT', message: expect.stringMatching(/whole distinct-count sets/) }));
  });
});
