// The shape of a job's state (planShape), which a checkpoint's fingerprint
// carries: the same for the same state whatever the user's functions say,
// different when a field, the key, a window, an aggregate or a process
// state declaration changes.
import { describe, expect, it } from 'vitest';
import { job, file, tumbling, sliding, count, sum, countDistinct, valueState, listState } from '../../../src/job/index.js';
import { planOf } from '../../../src/job/plan.js';
import { planShape } from '../../../src/job/plan-shape.js';

const fields = { k: 'string', t: 'time', v: 'number', m: 'string' } as const;
const src = file('in.ndjson', { time: 't', fields });

/** A two-branch job: windows over k, and a process function; `o` varies one thing at a time. */
function shapeOf(o: { threshold?: number; window?: 'tumbling' | 'sliding'; extraAgg?: boolean; state?: 'last' | 'seen'; key?: 'k' | 'm'; vType?: 'number' | 'string' } = {}): string {
  const source = o.vType === 'string' ? file('in.ndjson', { time: 't', fields: { ...fields, v: 'string' } }) : src;
  const root = job({ source }).filter((r) => (r.t as number) > (o.threshold ?? 0));
  const keyed = root.keyBy(o.key ?? 'k');
  const windows = keyed.window(o.window === 'sliding' ? sliding('10s', '1s') : tumbling('1s'))
    .aggregate(o.extraAgg ? { n: count(), d: countDistinct('m'), s: sum((r) => (r.t as number) % 7) } : { n: count(), d: countDistinct('m') })
    .filter((w) => w.n > (o.threshold ?? 0));
  const state = o.state === 'seen' ? { seen: listState<number>() } : { last: valueState<number>(0) };
  const rules = root.keyBy(o.key ?? 'k').process({ state, onRecord(_r, ctx) { ctx.emit({ n: o.threshold ?? 0 }); } });
  return planShape(planOf({ default: [windows, rules] }, 'job.mjs'));
}

describe('planShape', () => {
  it('is the same for the same state, whatever thresholds the functions hold', () => {
    expect(shapeOf({ threshold: 5 })).toBe(shapeOf());
  });

  it('differs when the window, an aggregate, a process state, the key or a field type changes', () => {
    const base = shapeOf();
    for (const other of [shapeOf({ window: 'sliding' }), shapeOf({ extraAgg: true }), shapeOf({ state: 'seen' }), shapeOf({ key: 'm' }), shapeOf({ vType: 'string' })]) {
      expect(other).not.toBe(base);
    }
  });
});
