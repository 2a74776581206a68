// Snapshot mid-stream, restore, carry on: the outputs after the snapshot are
// those of the stage that was never interrupted, whether the state comes
// back on one stage, is split between two workers owning different
// partitions (each keeps the keys of its key groups), or is merged from two.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { listState, mapState, valueState, type ProcessFunction } from '../../../../src/job/process.js';
import type { SnapshotLayout } from '../../../../src/checkpoint/snapshot.js';
import { readProcessSection } from '../../../../src/operators/pipeline/process-snapshot.js';
import { Harness, partitionOf, type Emitted } from './process-harness.js';

const KEY_GROUPS = 8;
const PARTITIONS = 2;
const KEYS = ['k0', 'k1', 'k2', 'k3', 'k4', 'k5', 'k6'];

type Op =
  | { kind: 'rec'; key: number; step: number; jitter: number; v: number }
  | { kind: 'wm'; p: number; step: number }
  | { kind: 'tick'; step: number };

/** The wall clock the rule reads to set processing-time timers (the test moves it). */
let now = 0;

const state = {
  count: valueState(0),
  recent: listState<number>(),
  byV: mapState<number, number>(),
  lastTimer: valueState<number | null>(null),
};

/** A rule that uses every kind of state, sets, dedups and deletes timers, and sets timers while firing. */
const rule: ProcessFunction<{ v: number }, typeof state, object> = {
  state,
  onRecord(r, ctx) {
    const s = ctx.state;
    s.count.set(s.count.get() + 1);
    s.recent.add(r.v);
    if (s.recent.get().length > 3) s.recent.set(s.recent.get().slice(1));
    s.byV.set(r.v % 3, (s.byV.get(r.v % 3) ?? 0) + r.v);
    const prev = s.lastTimer.get();
    if (r.v === 0 && prev !== null) ctx.timers.deleteEventTime(prev);
    ctx.timers.eventTime(ctx.timestamp + 25);
    s.lastTimer.set(ctx.timestamp + 25);
    if (r.v % 4 === 1) ctx.timers.processingTime(now + 10 * r.v);
    if (s.count.get() % 3 === 0) ctx.emit({ k: ctx.key, c: s.count.get(), recent: [...s.recent.get()], ts: ctx.timestamp, wm: ctx.watermark });
  },
  onTimer(t, domain, ctx) {
    const s = ctx.state;
    ctx.emit({ k: ctx.key, t, domain, c: s.count.get(), m: s.byV.entries(), wm: ctx.watermark });
    if (domain === 'event' && s.count.get() > 4) {
      s.count.clear();
      s.recent.clear();
      s.byV.clear();
    }
    if (domain === 'event' && t % 2 === 0) ctx.timers.eventTime(t + 7);
  },
};

const layout = (ownPartitions: number[], worker = 0): SnapshotLayout => ({ keyGroups: KEY_GROUPS, partitions: PARTITIONS, worker, ownPartitions });

/** A worker: a stage over some global partitions. */
class Worker {
  readonly h: Harness;
  constructor(readonly parts: number[]) {
    this.h = new Harness(rule, { partitions: parts, outOfOrderness: 10 });
  }
  owns(p: number): boolean { return this.parts.includes(p); }
}

/** Run ops over workers (each op to the worker owning its partition); the clock state is carried in `clock`. */
function run(workers: Worker[], ops: readonly Op[], clock: { t: number }): void {
  for (const op of ops) {
    clock.t += op.step;
    if (op.kind === 'rec') {
      const key = KEYS[op.key]!;
      const p = partitionOf(key, KEY_GROUPS, PARTITIONS);
      const w = workers.find((x) => x.owns(p))!;
      w.h.send(w.parts.indexOf(p), key, clock.t - op.jitter, { v: op.v });
    } else if (op.kind === 'wm') {
      const w = workers.find((x) => x.owns(op.p))!;
      w.h.stage.watermark(w.parts.indexOf(op.p), clock.t - 15);
    } else {
      now += op.step;
      for (const w of workers) w.h.stage.processingTime(now);
    }
  }
}

/** The keys a worker's snapshot holds (those with state or timers), sorted. */
function heldKeys(w: Worker, own: number[]): string[] {
  return readProcessSection(w.h.stage.snapshot(layout(own)), 'test').keys.map((k) => new TextDecoder().decode(k.key)).sort();
}

function byKey(es: readonly Emitted[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const e of es) (out[e.out.k as string] ??= []).push(JSON.stringify([e.out, e.t]));
  return out;
}

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('rec' as const), key: fc.integer({ min: 0, max: KEYS.length - 1 }), step: fc.integer({ min: 0, max: 12 }), jitter: fc.integer({ min: 0, max: 30 }), v: fc.integer({ min: 0, max: 9 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('wm' as const), p: fc.integer({ min: 0, max: PARTITIONS - 1 }), step: fc.integer({ min: 0, max: 20 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('tick' as const), step: fc.integer({ min: 0, max: 40 }) }) },
);
const scenario = fc.array(opArb, { minLength: 1, maxLength: 120 }).chain((ops) => fc.tuple(fc.constant(ops), fc.integer({ min: 0, max: ops.length })));

/** The uninterrupted run: outputs before and after op `cut` (close() included after). */
function reference(ops: readonly Op[], cut: number): { before: Emitted[]; after: Emitted[] } {
  now = 0;
  const w = new Worker([0, 1]);
  const clock = { t: 1000 };
  run([w], ops.slice(0, cut), clock);
  const before = w.h.take();
  run([w], ops.slice(cut), clock);
  w.h.stage.close();
  return { before, after: w.h.take() };
}

describe('ProcessStage snapshot and restore', () => {
  it('restored onto one fresh stage: the same outputs, in the same order, as the uninterrupted stage', () => {
    fc.assert(fc.property(scenario, ([ops, cut]) => {
      const ref = reference(ops, cut);
      now = 0;
      const clock = { t: 1000 };
      const a = new Worker([0, 1]);
      run([a], ops.slice(0, cut), clock);
      expect(a.h.take()).toEqual(ref.before);
      const snap = a.h.stage.snapshot(layout([0, 1]));
      const b = new Worker([0, 1]);
      b.h.stage.restore([snap], layout([0, 1]));
      expect([...b.h.stage.wm]).toEqual([...a.h.stage.wm]);
      expect([...b.h.stage.maxTs]).toEqual([...a.h.stage.maxTs]);
      run([b], ops.slice(cut), clock);
      b.h.stage.close();
      expect(b.h.take()).toEqual(ref.after);
    }), { numRuns: 200 });
  });

  it('split between two workers owning different partitions: each keeps its keys, every key goes on as before', () => {
    fc.assert(fc.property(scenario, ([ops, cut]) => {
      const ref = reference(ops, cut);
      now = 0;
      const clock = { t: 1000 };
      const a = new Worker([0, 1]);
      run([a], ops.slice(0, cut), clock);
      const snap = a.h.stage.snapshot(layout([0, 1]));
      const w0 = new Worker([0]);
      const w1 = new Worker([1]);
      w0.h.stage.restore([snap], layout([0], 0));
      w1.h.stage.restore([snap], layout([1], 1));
      expect([w0.h.stage.wm[0], w1.h.stage.wm[0]]).toEqual([...a.h.stage.wm]);
      // Each kept the keys of its own key groups, and between them all of them.
      const before = heldKeys(a, [0, 1]);
      const k0 = heldKeys(w0, [0]);
      const k1 = heldKeys(w1, [1]);
      for (const k of k0) expect(partitionOf(k, KEY_GROUPS, PARTITIONS)).toBe(0);
      for (const k of k1) expect(partitionOf(k, KEY_GROUPS, PARTITIONS)).toBe(1);
      expect([...k0, ...k1].sort()).toEqual(before);
      run([w0, w1], ops.slice(cut), clock);
      w0.h.stage.close();
      w1.h.stage.close();
      const got0 = w0.h.take();
      const got1 = w1.h.take();
      for (const e of got0) expect(partitionOf(e.out.k as string, KEY_GROUPS, PARTITIONS)).toBe(0);
      for (const e of got1) expect(partitionOf(e.out.k as string, KEY_GROUPS, PARTITIONS)).toBe(1);
      const got = [...got0, ...got1];
      expect(byKey(got)).toEqual(byKey(ref.after));
    }), { numRuns: 200 });
  });

  it('merged from two workers\' sections onto one stage: every key goes on as before', () => {
    fc.assert(fc.property(scenario, ([ops, cut]) => {
      const ref = reference(ops, cut);
      now = 0;
      const clock = { t: 1000 };
      const w0 = new Worker([0]);
      const w1 = new Worker([1]);
      run([w0, w1], ops.slice(0, cut), clock);
      expect(byKey([...w0.h.take(), ...w1.h.take()])).toEqual(byKey(ref.before));
      const parts = [w0.h.stage.snapshot(layout([0], 0)), w1.h.stage.snapshot(layout([1], 1))];
      const one = new Worker([0, 1]);
      one.h.stage.restore(parts, layout([0, 1]));
      expect([...one.h.stage.wm]).toEqual([w0.h.stage.wm[0], w1.h.stage.wm[0]]);
      run([one], ops.slice(cut), clock);
      one.h.stage.close();
      expect(byKey(one.h.take())).toEqual(byKey(ref.after));
    }), { numRuns: 200 });
  });
});
