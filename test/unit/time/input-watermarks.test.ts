// src/time/input-watermarks.ts: a source's watermark over several ordered
// inputs (Kafka partitions) is the minimum of the non-idle inputs' progress.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { InputWatermarks } from '../../../dist/src/time/input-watermarks.js';
import { WindowOperator, type Emitter } from '../../../dist/src/state/window-operator.js';
import { IN_TS } from '../../../dist/src/state/record-io.js';

const BOUND = 100;
const IDLE = 1000;

describe('InputWatermarks', () => {
  it('is the minimum over inputs of max event time − bound; an assigned input not read yet holds it back', () => {
    const w = new InputWatermarks(BOUND, IDLE);
    expect(w.current(0)).toBe(-Infinity); // no inputs: nothing to say
    w.assign([0, 1, 2], 0);
    w.onEvent(0, 5000, 10, true);
    w.onEvent(1, 3000, 10, true);
    expect(w.current(10)).toBe(-Infinity); // input 2 has not been read
    w.onEvent(2, 4000, 20, true);
    expect(w.current(20)).toBe(3000 - BOUND);
    w.onEvent(1, 2000, 30, true); // an older batch maximum never lowers an input's progress
    expect(w.current(30)).toBe(3000 - BOUND);
    w.onEvent(1, 6000, 40, true);
    expect(w.current(40)).toBe(4000 - BOUND);
  });

  it('an input idle for idleTimeout stops holding back, but not while records are known to wait in it', () => {
    const w = new InputWatermarks(BOUND, IDLE);
    w.assign([0, 1], 0);
    w.onEvent(0, 5000, 0, true);
    w.onEvent(1, 1000, 0, false); // behind: the batch did not reach the partition's end
    w.onEvent(0, 6000, 2000, true);
    expect(w.current(2000)).toBe(1000 - BOUND); // silent for 2 s, yet not idle: it has unread records
    w.onEvent(1, 1500, 2100, true); // caught up now
    expect(w.current(2100)).toBe(1500 - BOUND);
    expect(w.current(2100 + IDLE - 1)).toBe(1500 - BOUND);
    expect(w.current(2100 + IDLE)).toBe(6000 - BOUND); // input 1 idle: input 0 alone
    expect(w.snapshot(2100 + IDLE)).toEqual([
      { input: 0, watermark: 6000 - BOUND, idle: true }, { input: 1, watermark: 1500 - BOUND, idle: true },
    ]);
    // Every input idle: the largest progress applies (the last windows fire after the idle timeout).
    w.onEvent(0, 6000, 2000, true);
    expect(w.current(5000)).toBe(6000 - BOUND);
    // An input assigned and never read turns idle idleTimeout after its assignment.
    w.assign([0, 1, 2], 5000);
    expect(w.current(5000)).toBe(-Infinity);
    expect(w.current(5000 + IDLE)).toBe(6000 - BOUND);
  });

  it('when every input was idle, the first records restart the idle time of all: the first partition read does not run ahead', () => {
    const w = new InputWatermarks(BOUND, IDLE);
    w.assign([0, 1, 2], 0);
    // The job waited on an empty topic: all three idle, nothing to say.
    expect(w.current(IDLE)).toBe(-Infinity);
    // The producer starts: partition 0's batch arrives first, the others' a moment later.
    w.onEvent(0, 10_000, 5000, true);
    expect(w.current(5000)).toBe(-Infinity); // 1 and 2 hold back again
    w.onEvent(1, 9_950, 5001, true);
    w.onEvent(2, 9_980, 5002, true);
    expect(w.current(5002)).toBe(9_950 - BOUND);
    // All idle again after the producer stopped: the largest progress applies.
    expect(w.current(5002 + IDLE)).toBe(10_000 - BOUND);
    // It resumes on one partition only: the others hold back for one idle timeout, then it runs alone.
    w.onEvent(2, 20_000, 9000, true);
    expect(w.current(9000)).toBe(9_950 - BOUND);
    expect(w.current(9000 + IDLE - 1)).toBe(9_950 - BOUND);
    w.onEvent(2, 20_500, 9500, true);
    w.onEvent(2, 21_000, 9000 + IDLE, true);
    expect(w.current(9000 + IDLE)).toBe(21_000 - BOUND);
  });

  it('a revoked input stops counting; a batch of an input not assigned (yet) adds it', () => {
    const w = new InputWatermarks(BOUND, IDLE);
    w.assign([0, 1], 0);
    w.onEvent(0, 5000, 0, true);
    w.onEvent(1, 1000, 0, true);
    w.assign([0], 10);
    expect(w.size).toBe(1);
    expect(w.current(10)).toBe(5000 - BOUND);
    w.onEvent(3, 2000, 20, true);
    expect(w.current(20)).toBe(2000 - BOUND);
  });

  it('property: records of inputs each in order within the bound are never behind the watermark, however interleaved', () => {
    // Each input: a non-decreasing "clock" plus jitter ≤ BOUND below it. A record is late in a window operator iff
    // its window's end ≤ the watermark, so ts ≥ watermark on arrival means no window of it has fired.
    const input = fc.array(fc.tuple(fc.integer({ min: 0, max: 50 }), fc.integer({ min: 0, max: BOUND })), { minLength: 1, maxLength: 40 });
    fc.assert(fc.property(fc.array(input, { minLength: 1, maxLength: 6 }), fc.array(fc.nat(), { maxLength: 400 }), (inputs, picks) => {
      const streams = inputs.map((steps, i) => {
        let clock = 1000 * i; // inputs far apart in event time
        return steps.map(([step, jitter]) => { clock += step; return clock - jitter; });
      });
      const w = new InputWatermarks(BOUND, Infinity);
      w.assign(streams.map((_, i) => i), 0);
      const next = streams.map(() => 0);
      let emitted = -Infinity;
      const order = [...picks, ...streams.flatMap((s, i) => s.map(() => i))]; // the picks, then whatever is left
      for (const pick of order) {
        const i = pick % streams.length;
        if (next[i]! >= streams[i]!.length) continue;
        const ts = streams[i]![next[i]!++]!;
        expect(ts).toBeGreaterThanOrEqual(emitted);
        w.onEvent(i, ts, 0, false);
        emitted = Math.max(emitted, w.current(0));
      }
    }), { numRuns: 300 });
  });
});

describe('WindowOperator with source-driven watermarks', () => {
  it('records move maxTs but not the watermark; WATERMARK frames do', () => {
    const fired: number[] = [];
    const emitter: Emitter = {
      result(op, s) { fired.push(op.slots.end(s)); },
      late() { throw new Error('no record is late here'); },
    };
    const op = new WindowOperator({
      window: { kind: 'tumbling', size: 1000 }, outOfOrderness: BOUND, allowedLateness: 0, partitions: [0], watermarkFromRecords: false,
    }, emitter);
    const key = new TextEncoder().encode('k');
    op.io[IN_TS] = 5000;
    op.record(0, 1, key, 0, key.length);
    op.io[IN_TS] = 100; // far behind maxTs − bound, yet on time: the source's watermark has not passed it
    op.record(0, 1, key, 0, key.length);
    expect(op.maxTs[0]).toBe(5000);
    expect(op.wm[0]).toBe(-Infinity);
    expect(fired).toEqual([]);
    op.watermark(0, 1000);
    expect(fired).toEqual([1000]);
    op.watermark(0, Infinity);
    expect(fired).toEqual([1000, 6000]);
  });
});
