import { describe, expect, it } from 'vitest';
import {
  job, generator, file, tumbling, count, sum, toFile, valueState,
} from '../../../src/job/index.js';
import { planOf, DEFAULT_SINK } from '../../../src/job/plan.js';
import { SabreError } from '../../../src/errors.js';

const src = file('in.ndjson', { time: 't', fields: { k: 'string', t: 'time', v: 'number', ok: 'boolean' } });

function planError(exported: unknown): SabreError {
  try {
    planOf({ default: exported }, 'job.mjs');
  } catch (e) {
    expect(e).toBeInstanceOf(SabreError);
    return e as SabreError;
  }
  throw new Error('the plan was accepted');
}

describe('job plans', () => {
  it('cuts a pipeline into the main thread key and a branch of before / keyed / after stages', () => {
    const p = planOf({
      default: job({ source: src, sinks: { all: toFile('out/all.ndjson') } })
        .filter((r) => r.ok).to('all').keyBy('k').window(tumbling('1s')).aggregate({ n: count(), s: sum('v') }).filter((w) => w.n > 1),
    }, 'job.mjs');
    expect(p.timeField).toBe('t');
    expect(p.fields.map((f) => `${f.name}:${f.type}`)).toEqual(['k:string', 't:time', 'v:number', 'ok:boolean']);
    expect(p.key).toMatchObject({ kind: 'fields', fields: ['k'] });
    expect(p.branches).toHaveLength(1);
    const b = p.branches[0]!;
    expect(b.before.map((s) => s.op)).toEqual(['filter', 'to']);
    expect(b.keyed).toMatchObject({ kind: 'window', window: { kind: 'tumbling', size: 1000 } });
    expect(b.after.map((s) => s.op)).toEqual(['filter']);
    expect(p.sinkNames).toEqual([DEFAULT_SINK, 'all']);
    expect(p.sinks[DEFAULT_SINK]).toEqual({ kind: 'stdout' });
  });

  it('takes a list of pipelines from one job() keyed alike as branches', () => {
    const root = job({ source: generator('card-txns') }).filter((t) => t.status !== 'test');
    const p = planOf({
      default: [
        root.keyBy('card').window(tumbling('1m')).aggregate({ n: count() }),
        root.keyBy('card').process({ state: { n: valueState(0) }, onRecord: () => {} }),
      ],
    }, 'job.mjs');
    expect(p.branches.map((b) => b.keyed?.kind)).toEqual(['window', 'process']);
    expect(p.key).toMatchObject({ kind: 'fields', fields: ['card'] });
  });

  it('names the job file and line of the offending call', () => {
    const e = planError(job({ source: src }).map((r) => ({ ...r })).keyBy('k').window(tumbling('1s')).aggregate({ n: count() }));
    expect(e.code).toBe('ERR_INVALID_JOB');
    expect(e.message).toMatch(/plan\.test\.ts:\d+:\d+: \.keyBy\(field\) keys the source record/);
  });

  it.each([
    ['no pipeline', { not: 'a pipeline' }, /export default/],
    ['keyBy a field the source does not declare', job({ source: src }).keyBy('nope' as 'k').window(tumbling('1s')).aggregate({ n: count() }), /keyBy\("nope"\): not a source field/],
    ['keyBy a boolean', job({ source: src }).keyBy('ok').window(tumbling('1s')).aggregate({ n: count() }), /a key field must be a string or a number/],
    ['keyBy without a keyed stage', job({ source: src }).keyBy('k'), /must be followed by/],
    ['window without aggregate', (job({ source: src }).keyBy('k').window(tumbling('1s')) as unknown), /must be followed by \.aggregate/],
    ['an unknown sink', job({ source: src }).to('nowhere'), /\.to\("nowhere"\): no such sink/],
    ['re-keying', (job({ source: src }).keyBy('k').window(tumbling('1s')).aggregate({ n: count() }) as unknown as { keyBy(k: string): { process(f: unknown): unknown } }).keyBy('k').process({ onRecord() {} }), /keyed once/],
    ['a time field of type string', job({ source: file('x', { time: 'k', fields: { k: 'string' } }) }), /time field "k" must be of type time or number/],
    ['an unknown field type', job({ source: file('x', { time: 't', fields: { t: 'time', x: 'float' as 'number' } }) }), /field "x" has type "float"/],
  ])('refuses %s', (_name, exported, message) => {
    const e = planError(exported);
    expect(e.code).toBe('ERR_INVALID_JOB');
    expect(e.message).toMatch(message);
  });

  it('refuses branches from two job() calls or with different keys', () => {
    const a = job({ source: src }).keyBy('k').window(tumbling('1s')).aggregate({ n: count() });
    const b = job({ source: src }).keyBy('k').window(tumbling('1s')).aggregate({ n: count() });
    expect(planError([a, b]).message).toMatch(/same job\(/);
    const root = job({ source: src });
    const c = root.keyBy('k').window(tumbling('1s')).aggregate({ n: count() });
    const d = root.keyBy((r) => r.v).window(tumbling('1s')).aggregate({ n: count() });
    expect(planError([c, d]).message).toMatch(/same key/);
  });
});
