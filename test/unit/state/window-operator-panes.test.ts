// The window operator's side of per-pane state (UserAggregate.panes): in a
// sliding window whose size is a multiple of its slide, a record's add is
// "own pane" only for the window starting at the record's pane; anywhere
// else (tumbling, a size that is not a multiple, an aggregate without
// panes) every add is.
import { describe, expect, it } from 'vitest';
import { WindowOperator, type Emitter } from '../../../dist/src/state/window-operator.js';
import { IN_INGEST, IN_TS, IN_VALUE } from '../../../dist/src/state/record-io.js';
import { F_START } from '../../../dist/src/state/window-slots.js';
import { murmur2, type WindowSpec } from '../../../dist/src/index.js';
import type { UserAggregate } from '../../../dist/src/state/user-aggregate.js';

const enc = new TextEncoder();
const none: Emitter = { result() {}, late() {} };

/** The (window start, ownPane) of every add of one record at `ts`, in the order the operator made them. */
function addsOf(window: WindowSpec, panes: boolean, ts: number): [number, boolean][] {
  const adds: [object, boolean][] = [];
  const ua: UserAggregate<object> = {
    name: 'probe', panes, init: () => ({}), merge: (a) => a, result: () => null,
    add(acc, _v, own) { adds.push([acc, own === true]); return acc; },
  };
  const op = new WindowOperator({ window, outOfOrderness: 0, allowedLateness: 0, partitions: [0], userAggregate: ua }, none);
  const bytes = enc.encode('k');
  op.io[IN_TS] = ts;
  op.io[IN_VALUE] = 1;
  op.io[IN_INGEST] = 0;
  op.record(0, murmur2(bytes), bytes, 0, bytes.length);
  // Each accumulator's window, from the slot holding it.
  const startOf = new Map<unknown, number>();
  for (let s = 0; s < op.slots.highWater; s++) startOf.set(op.slots.user[s], op.slots.float(s, F_START));
  expect(startOf.size).toBe(adds.length);
  return adds.map(([acc, own]) => [startOf.get(acc)!, own]);
}

describe('own-pane adds', () => {
  it('sliding 3 s every 1 s, an aggregate with panes: only the window starting at the record\'s pane', () => {
    expect(addsOf({ kind: 'sliding', size: 3000, slide: 1000 }, true, 10_500)).toEqual([[10_000, true], [9_000, false], [8_000, false]]);
  });

  it('every add is own pane otherwise', () => {
    expect(addsOf({ kind: 'sliding', size: 3000, slide: 1000 }, false, 10_500)).toEqual([[10_000, true], [9_000, true], [8_000, true]]);
    // Windows start at multiples of the slide in (ts − size, ts]: 9 s and 10 s.
    expect(addsOf({ kind: 'sliding', size: 2500, slide: 1000 }, true, 10_500)).toEqual([[10_000, true], [9_000, true]]);
    expect(addsOf({ kind: 'tumbling', size: 1000 }, true, 10_500)).toEqual([[10_000, true]]);
  });
});
