// The stage order the workers count into and the stats label (stageLabels):
// per branch, the stages before the keyed stage, the keyed stage, the stages
// after it; each with what it is and where the job added it.
import { describe, expect, it } from 'vitest';
import {
  job, file, tumbling, count, toFile, fileTable, kafkaTable, valueState,
} from '../../../src/job/index.js';
import { planOf } from '../../../src/job/plan.js';
import { stageLabels } from '../../../src/job/describe.js';

const src = file('in.ndjson', { time: 't', fields: { k: 'string', t: 'time', v: 'number' } });

describe('stageLabels', () => {
  it('lists every branch\'s stages in order: before the keyed stage, the keyed stage, after it', () => {
    const root = job({ source: src, sinks: { all: toFile('all.ndjson') } }).filter((r) => r.v > 0);
    const windows = root.keyBy('k').window(tumbling('1s')).aggregate({ n: count() }).to('all')
      .lookup(fileTable('profiles.ndjson', { key: 'k' }), { on: 'k', as: 'profile' }).map((w) => ({ n: w.n }));
    const rules = root.keyBy('k').process({
      state: { seen: valueState(0) },
      onRecord(_r, ctx) { ctx.state.seen.set(ctx.state.seen.get() + 1); },
    });
    const stateless = root.lookup(kafkaTable('limits', { key: 'k' }), { on: 'k', as: 'limit' }).map((r) => ({ v: r.v }));
    const labels = stageLabels(planOf({ default: [windows, rules, stateless] }, '/jobs/j.mjs'));
    expect(labels.map((l) => [l.branch, l.text])).toEqual([
      [0, 'filter'], [0, 'tumbling:1000ms [n]'], [0, 'to all'], [0, 'lookup profiles.ndjson as profile'], [0, 'map'],
      [1, 'filter'], [1, 'process'],
      [2, 'filter'], [2, 'lookup kafka:limits as limit'], [2, 'map'],
    ]);
    // Where: this file and line of each call (the job module's, when a module is loaded).
    for (const l of labels) expect(l.where).toMatch(/describe\.test\.ts:\d+:\d+$/);
    expect(labels[0]!.where).toBe(labels[5]!.where); // the shared filter, run by each branch
  });
});
