import { describe, expect, it } from 'vitest';
import { listState, mapState, valueState, type ProcessFunction } from '../../../../src/job/process.js';
import { SabreError } from '../../../../src/errors.js';
import { readProcessSection } from '../../../../src/operators/pipeline/process-snapshot.js';
import { Harness } from './process-harness.js';

const MIN = 60_000;
const FIVE_MIN = 5 * MIN;

interface Txn { status: 'declined' | 'approved' }

/** Three declines, then an approval within five minutes of them: an alert. Each decline's timer drops it from state five minutes on. */
const declinesThenApproval = {
  state: { declines: listState<number>() },
  onRecord(r: Txn, ctx) {
    if (r.status === 'declined') {
      ctx.state.declines.add(ctx.timestamp);
      ctx.timers.eventTime(ctx.timestamp + FIVE_MIN);
      return;
    }
    const recent = ctx.state.declines.get().filter((d) => d > ctx.timestamp - FIVE_MIN && d <= ctx.timestamp);
    if (recent.length >= 3) ctx.emit({ card: ctx.key, declines: recent.length, approvedAt: ctx.timestamp });
    ctx.state.declines.clear();
  },
  onTimer(t, _domain, ctx) {
    const left = ctx.state.declines.get().filter((d) => d + FIVE_MIN > t);
    if (left.length === 0) ctx.state.declines.clear();
    else ctx.state.declines.set(left);
  },
} satisfies ProcessFunction<Txn, { declines: ReturnType<typeof listState<number>> }, object>;

const layout = { keyGroups: 16, partitions: 2, worker: 0, ownPartitions: [0, 1] };

describe('ProcessStage', () => {
  it('three declines then an approval within five minutes alerts; event-time timers clear the state', () => {
    const h = new Harness(declinesThenApproval, { partitions: [0, 1] });
    const s = 1000;
    const feed: [number, string, number, Txn['status']][] = [
      [0, 'A', 0, 'declined'], [0, 'A', 60 * s, 'declined'], [1, 'B', 0, 'declined'], [0, 'A', 120 * s, 'declined'],
      [1, 'B', 10 * s, 'declined'], [1, 'B', 20 * s, 'approved'], // B: two declines only
      [0, 'A', 180 * s, 'approved'], // A: three within five minutes → alert
      [1, 'B', 30 * s, 'declined'], [1, 'B', 40 * s, 'declined'], [1, 'B', 50 * s, 'declined'],
      [1, 'D', 10 * s, 'declined'], [1, 'D', 20 * s, 'declined'], // cleared by its timers (310 s, 320 s)
      [1, 'B', 400 * s, 'approved'], // B's three declines are more than five minutes old
      [0, 'A', 200 * s, 'declined'], [0, 'A', 210 * s, 'declined'], [0, 'A', 220 * s, 'declined'],
      [0, 'A', 530 * s, 'approved'], // too late
      [0, 'C', 1000 * s, 'declined'], [0, 'C', 1100 * s, 'declined'], [0, 'C', 1200 * s, 'declined'],
      [0, 'C', 1250 * s, 'approved'], // alert
      [0, 'C', 1260 * s, 'declined'],
    ];
    for (const [pi, key, ts, status] of feed) h.send(pi, key, ts, { status });
    expect(h.take()).toEqual([
      { out: { card: 'A', declines: 3, approvedAt: 180 * s }, t: 180 * s },
      { out: { card: 'C', declines: 3, approvedAt: 1250 * s }, t: 1250 * s },
    ]);
    // Partition 1's watermark is at 400 s: D's timers (≤ 320 s) fired and emptied its state;
    // C's last decline is still held until its timer at 1560 s.
    const held = (): string[] => readProcessSection(h.stage.snapshot(layout), 'test').keys.map((k) => new TextDecoder().decode(k.key));
    expect(held()).toEqual(['C']);
    h.stage.close();
    expect(held()).toEqual([]);
    expect(h.take()).toEqual([]);
  });

  it('value, list and map state are per key; a value starts at a clone of its initial', () => {
    const state = { agg: valueState({ n: 0, sum: 0 }), last: listState<number>(), seen: mapState<number, number>() };
    const fn: ProcessFunction<{ v: number }, typeof state, object> = {
      state,
      onRecord(r, ctx) {
        const agg = ctx.state.agg.get();
        agg.n++; // mutating what get() returned is how a value changes in place
        agg.sum += r.v;
        ctx.state.last.add(r.v);
        if (ctx.state.last.get().length > 2) ctx.state.last.set(ctx.state.last.get().slice(-2));
        ctx.state.seen.set(r.v, (ctx.state.seen.get(r.v) ?? 0) + 1);
        ctx.emit({ key: ctx.key, n: agg.n, sum: agg.sum, last: [...ctx.state.last.get()], seen: ctx.state.seen.entries() });
      },
    };
    const h = new Harness(fn);
    h.send(0, 'x', 1, { v: 5 });
    h.send(0, 'y', 2, { v: 7 });
    h.send(0, 'x', 3, { v: 5 });
    h.send(0, 'x', 4, { v: 1 });
    h.send(0, 'y', 5, { v: 2 });
    expect(h.take().map((e) => e.out)).toEqual([
      { key: 'x', n: 1, sum: 5, last: [5], seen: [[5, 1]] },
      { key: 'y', n: 1, sum: 7, last: [7], seen: [[7, 1]] },
      { key: 'x', n: 2, sum: 10, last: [5, 5], seen: [[5, 2]] },
      { key: 'x', n: 3, sum: 11, last: [5, 1], seen: [[5, 2], [1, 1]] },
      { key: 'y', n: 2, sum: 9, last: [7, 2], seen: [[7, 1], [2, 1]] },
    ]);
    expect(state.agg.initial).toEqual({ n: 0, sum: 0 });
    expect(h.stage.keys).toBe(2);
  });

  it('one timer per key and time; a deleted timer does not fire; the same time on two keys fires for both', () => {
    const fired: string[] = [];
    const fn: ProcessFunction<{ op: string; t: number }, undefined, object> = {
      onRecord(r, ctx) {
        if (r.op === 'set') ctx.timers.eventTime(r.t);
        else ctx.timers.deleteEventTime(r.t);
      },
      onTimer(t, domain, ctx) { fired.push(`${ctx.key}@${t}/${domain}/${ctx.timestamp}`); },
    };
    const h = new Harness(fn, { watermarkFromRecords: false });
    h.send(0, 'a', 1, { op: 'set', t: 100 });
    h.send(0, 'a', 2, { op: 'set', t: 100 });
    h.send(0, 'a', 3, { op: 'set', t: 100 });
    h.send(0, 'b', 4, { op: 'set', t: 100 });
    h.send(0, 'a', 5, { op: 'set', t: 150 });
    h.send(0, 'a', 6, { op: 'del', t: 150 });
    h.send(0, 'b', 7, { op: 'set', t: 160 });
    h.send(0, 'b', 8, { op: 'del', t: 160 });
    h.send(0, 'b', 9, { op: 'set', t: 160 }); // set again after a delete: fires once
    h.stage.watermark(0, 99);
    expect(fired).toEqual([]);
    h.stage.watermark(0, 1000);
    expect(fired).toEqual(['a@100/event/100', 'b@100/event/100', 'b@160/event/160']);
    // b@160 fired: the same time registered again (b's latest too) is a new timer, already due, so it fires before the call returns.
    h.send(0, 'b', 10, { op: 'set', t: 160 });
    expect(fired).toEqual(['a@100/event/100', 'b@100/event/100', 'b@160/event/160', 'b@160/event/160']);
  });

  it('timers fire in time order across keys (ties in registration order), including ones set while firing', () => {
    const fired: string[] = [];
    const fn: ProcessFunction<{ t: number }, undefined, object> = {
      onRecord(r, ctx) { ctx.timers.eventTime(r.t); },
      onTimer(t, _d, ctx) {
        fired.push(`${ctx.key}@${t} wm=${ctx.watermark}`);
        if (ctx.key === 'k3' && t === 200) ctx.timers.eventTime(250); // ≤ the watermark: fires in this advance
      },
    };
    const h = new Harness(fn, { watermarkFromRecords: false });
    h.send(0, 'k1', 0, { t: 300 });
    h.send(0, 'k2', 0, { t: 100 });
    h.send(0, 'k3', 0, { t: 200 });
    h.send(0, 'k4', 0, { t: 100 });
    h.send(0, 'k0', 0, { t: 5000 });
    h.stage.watermark(0, 1000);
    expect(fired).toEqual(['k2@100 wm=1000', 'k4@100 wm=1000', 'k3@200 wm=1000', 'k3@250 wm=1000', 'k1@300 wm=1000']);
    h.stage.watermark(0, 10); // never moves back
    expect(h.stage.wm[0]).toBe(1000);
    // A timer set in onRecord for a time the watermark already passed fires before record() returns.
    h.send(0, 'k9', 1, { t: 900 });
    expect(fired.at(-1)).toBe('k9@900 wm=1000');
    h.stage.close();
    expect(fired.at(-1)).toBe('k0@5000 wm=Infinity');
  });

  it('processing-time timers fire when the given wall clock reaches them', () => {
    const fn: ProcessFunction<{ at: number }, undefined, object> = {
      onRecord(r, ctx) { ctx.timers.processingTime(r.at); },
      onTimer(t, domain, ctx) { ctx.emit({ key: ctx.key, t, domain }); },
    };
    const h = new Harness(fn);
    h.send(0, 'p', 10, { at: 2000 });
    h.send(0, 'q', 11, { at: 1000 });
    h.send(0, 'q', 12, { at: 1000 });
    h.stage.processingTime(999);
    expect(h.take()).toEqual([]);
    h.stage.processingTime(1500);
    expect(h.take()).toEqual([{ out: { key: 'q', t: 1000, domain: 'processing' }, t: 1000 }]);
    h.stage.close(); // END fires event-time timers only
    expect(h.take()).toEqual([]);
    h.stage.processingTime(2000);
    expect(h.take()).toEqual([{ out: { key: 'p', t: 2000, domain: 'processing' }, t: 2000 }]);
  });

  it('records behind the watermark are processed; the watermark follows max event time − bound per partition', () => {
    const fn: ProcessFunction<unknown, undefined, object> = {
      onRecord(_r, ctx) { ctx.emit({ key: ctx.key, ts: ctx.timestamp, wm: ctx.watermark }); },
    };
    const h = new Harness(fn, { partitions: [3, 7], outOfOrderness: 100 });
    h.send(0, 'a', 1000, {});
    h.send(0, 'a', 500, {});
    h.send(1, 'b', 50, {});
    expect(h.take().map((e) => e.out)).toEqual([
      { key: 'a', ts: 1000, wm: -Infinity }, { key: 'a', ts: 500, wm: 900 }, { key: 'b', ts: 50, wm: -Infinity },
    ]);
    expect([...h.stage.wm]).toEqual([900, -50]);
    expect([...h.stage.maxTs]).toEqual([1000, 50]);
  });

  it('a throw in user code reaches the caller unchanged, and the timers not yet fired still fire later', () => {
    const boom = new Error('boom');
    const fired: string[] = [];
    const fn: ProcessFunction<{ t: number }, undefined, object> = {
      onRecord(r, ctx) { ctx.timers.eventTime(r.t); },
      onTimer(t, _d, ctx) {
        if (ctx.key === 'bad') throw boom;
        fired.push(`${ctx.key}@${t}`);
      },
    };
    const h = new Harness(fn, { watermarkFromRecords: false });
    h.send(0, 'a', 0, { t: 100 });
    h.send(0, 'bad', 0, { t: 100 });
    h.send(0, 'c', 0, { t: 200 });
    expect(() => h.stage.watermark(0, 300)).toThrow(boom);
    expect(fired).toEqual(['a@100']);
    h.stage.watermark(0, 300); // same watermark: what is due fires now
    expect(fired).toEqual(['a@100', 'c@200']);
    h.stage.watermark(0, 400);
    expect(fired).toEqual(['a@100', 'c@200']); // the timer that threw is spent
  });

  it('state that is not JSON fails the snapshot naming the state; emit takes objects only', () => {
    const state = { total: valueState<unknown>(0), notes: listState<string>() };
    const fn: ProcessFunction<{ big: boolean }, typeof state, object> = {
      state,
      onRecord(r, ctx) {
        ctx.state.notes.add('ok');
        if (r.big) ctx.state.total.set(10n);
        else ctx.emit(42 as unknown as object);
      },
    };
    const h = new Harness(fn);
    h.send(0, 'k', 1, { big: true });
    let err: unknown;
    try { h.stage.snapshot(layout); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(SabreError);
    expect((err as SabreError).code).toBe('ERR_USER_FUNCTION');
    expect((err as SabreError).message).toContain("'total'");
    expect(() => h.send(0, 'j', 2, { big: false })).toThrow(expect.objectContaining({ code: 'ERR_USER_FUNCTION' }) as Error);
    expect(() => new Harness({ state: { x: 3 }, onRecord() {} })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_JOB' }) as Error);
  });

  it('a restore refuses another key-group count and a truncated section, with stable codes', () => {
    const h = new Harness(declinesThenApproval, { partitions: [0, 1] });
    h.send(0, 'A', 0, { status: 'declined' });
    const snap = h.stage.snapshot(layout);
    const fresh = (): Harness => new Harness(declinesThenApproval, { partitions: [0, 1] });
    expect(() => fresh().stage.restore([snap], { ...layout, keyGroups: 32 })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_OPTION' }) as Error);
    expect(() => fresh().stage.restore([snap.subarray(0, snap.length - 3)], layout)).toThrow(expect.objectContaining({ code: 'ERR_CHECKPOINT_CORRUPT' }) as Error);
    const ok = fresh();
    ok.stage.restore([snap], layout);
    expect(readProcessSection(ok.stage.snapshot(layout), 'again')).toEqual(readProcessSection(snap, 'first'));
  });
});
