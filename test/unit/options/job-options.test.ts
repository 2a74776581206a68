// --job: the options a job module defines are refused beside it; its source,
// default sink, time bounds, generator settings and onUserError apply unless
// an option was given (present in the raw options: a flag or --config).
import { describe, expect, it } from 'vitest';
import { resolveOptions, type RawOptions } from '../../../src/options.js';
import { jobOptions } from '../../../src/options/job-options.js';
import { checkPlan, type JobPlan } from '../../../src/job/plan.js';
import { job, file, generator, kafka, stdin, http, toFile, toKafka, tumbling, count } from '../../../src/job/index.js';
import { PLAN, type JobSettings } from '../../../src/job/job.js';
import type { FieldsDecl } from '../../../src/job/fields.js';

const invalid = expect.objectContaining({ code: 'ERR_INVALID_OPTION' });
const fields = { k: 'string', v: 'number', t: 'number' } as const;

function plan(settings: JobSettings<FieldsDecl>, key = 'k'): JobPlan {
  const s = job(settings as JobSettings<typeof fields>).keyBy(key as never).window(tumbling('1s')).aggregate({ n: count() });
  return checkPlan(s[PLAN], '/jobs/j.mjs');
}

const run = (raw: RawOptions, p: JobPlan) => resolveOptions(jobOptions(raw, p) as RawOptions);

describe('--job and the options a job module defines', () => {
  it('--key, --time, --value, --agg, --window and --aggregate-module beside --job fail, saying the job defines them', () => {
    const given: RawOptions[] = [{ key: 'k' }, { time: 't' }, { value: 'v' }, { agg: 'count' }, { window: 'tumbling:5s' }, { aggregateModule: 'a.mjs' }];
    for (const g of given) {
      expect(() => resolveOptions({ job: 'j.mjs', ...g }), JSON.stringify(g)).toThrow(invalid);
      expect(() => resolveOptions({ job: 'j.mjs', ...g })).toThrow(/the job module j\.mjs defines it/);
      // Without --job each is an ordinary option.
      expect(() => resolveOptions(g.aggregateModule ? {} : g)).not.toThrow();
    }
  });

  it('--on-user-error is fail by default, takes dead-letter, and applies to --job only', () => {
    expect(resolveOptions({ job: 'j.mjs' }).onUserError).toBe('fail');
    expect(resolveOptions({ job: 'j.mjs', onUserError: 'dead-letter' }).onUserError).toBe('dead-letter');
    expect(() => resolveOptions({ job: 'j.mjs', onUserError: 'skip' })).toThrow(invalid);
    expect(() => resolveOptions({ onUserError: 'dead-letter' })).toThrow(/job modules only/);
  });

  it('the job generator kinds are options of every command (generate and produce write them); --key-bytes applies to the built-in ones', () => {
    expect(resolveOptions({ generator: 'card-txns' }).generator).toBe('card-txns');
    expect(() => resolveOptions({ generator: 'card-txns', keyBytes: 16 })).toThrow(/--key-bytes: applies to the trades and cards/);
    expect(resolveOptions({ job: 'j.mjs', generator: 'market' }).generator).toBe('market');
    expect(() => resolveOptions({ job: 'j.mjs', generator: 'market', keyBytes: 16 })).toThrow(/--key-bytes: applies to the trades and cards/);
  });
});

describe("a job's settings under the options given", () => {
  it("the job's source, default sink and time bounds apply when no option gives them", () => {
    const p = plan({ source: file('in.ndjson', { fields, time: 't' }), sink: toFile('out.ndjson'), outOfOrderness: '2s', allowedLateness: 500, onUserError: 'dead-letter' });
    const o = run({}, p);
    expect(o.job).toBe('/jobs/j.mjs');
    expect(o.source).toBe('file:in.ndjson');
    expect(o.sink).toBe('file:out.ndjson');
    expect(o.outOfOrderness).toBe(2000);
    expect(o.allowedLateness).toBe(500);
    expect(o.onUserError).toBe('dead-letter');
  });

  it('--source, --sink, --out-of-orderness, --allowed-lateness and --on-user-error given override the job', () => {
    const p = plan({ source: kafka('txns', { fields, time: 't' }), sink: toKafka('out'), outOfOrderness: '2s', allowedLateness: '1s', onUserError: 'dead-letter' });
    const o = run({ source: 'stdin', sink: 'null', outOfOrderness: '50ms', allowedLateness: '0', onUserError: 'fail' }, p);
    expect([o.source, o.sink, o.outOfOrderness, o.allowedLateness, o.onUserError]).toEqual(['stdin', 'null', 50, 0, 'fail']);
  });

  it('without job settings the option defaults apply (stdout sink, 200ms bound)', () => {
    const o = run({}, plan({ source: stdin({ fields, time: 't' }) }));
    expect([o.source, o.sink, o.outOfOrderness, o.allowedLateness, o.onUserError]).toEqual(['stdin', 'stdout', 200, 0, 'fail']);
    expect(run({}, plan({ source: http({ fields, time: 't' }) })).source).toBe('http');
    expect(run({}, plan({ source: kafka('t1', { fields, time: 't' }) })).source).toBe('kafka:t1');
  });

  it("a generator source sets the generator kind and its keys/rate/count/seed unless the flags give them", () => {
    const p = plan({ source: generator('card-txns', { keys: 50, rate: 1000, count: 5000, seed: 7, eventsPerMs: 4, disorder: 30 }) as never }, 'card');
    const o = run({}, p);
    expect([o.source, o.generator, o.keys, o.rate, o.count, o.seed, o.eventsPerMs, o.disorder]).toEqual(['generator', 'card-txns', 50, 1000, 5000, 7, 4, 30]);
    expect([run({ eventsPerMs: 2, disorder: '5ms' }, p)].map((x) => [x.eventsPerMs, x.disorder])).toEqual([[2, 5]]);
    const o2 = run({ keys: 9, count: 10 }, p);
    expect([o2.keys, o2.rate, o2.count, o2.seed]).toEqual([9, 1000, 10, 7]);
    // Another --source given: the job's generator settings do not apply.
    const o3 = run({ source: 'file:x.ndjson' }, p);
    expect([o3.source, o3.generator, o3.keys, o3.count]).toEqual(['file:x.ndjson', 'trades', 10000, 0]);
  });

  it('a job sink kafka:TOPIC with --checkpoint-dir makes the results sink transactional, as --sink would', () => {
    const o = run({ checkpointDir: '/tmp/cp' }, plan({ source: stdin({ fields, time: 't' }), sink: toKafka('alerts') }));
    expect(o.sink).toBe('kafka:alerts');
    expect(o.sinkTransactional).toBe(true);
  });

  it('a job still refuses the options it defines after its settings were applied', () => {
    expect(() => run({ window: 'tumbling:1s' }, plan({ source: stdin({ fields, time: 't' }) }))).toThrow(/defines it/);
  });
});
