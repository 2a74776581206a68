// Random job pipelines for property tests: the engine runs each as a real
// job module (`sabre run --job FILE`), the reference (test/reference/
// reference-pipeline.ts) runs the same plan in-process, and their outputs
// must agree.
//
// A pipeline is drawn as plain data (PipelineSpec) over one fixed schema:
//   k string (the key), t time, v number (optional: some records have null),
//   s string, b boolean.
// Every function of a pipeline is a piece of source text from a small family,
// so the module renderer writes it verbatim and the in-process builder
// evaluates the same text: the two plans hold the same functions.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import * as api from '../../src/job/index.js';
import { PLAN } from '../../src/job/job.js';
import { checkPlans, type JobPlan } from '../../src/job/plan.js';

export const RANDOM_FIELDS = { k: 'string', t: 'time', v: { type: 'number', optional: true }, s: 'string', b: 'boolean' } as const;
export const RANDOM_T0 = 1_700_000_000_000;
export const RANDOM_KEYS = ['a', 'b', 'c', 'd'] as const;

/** Stateless stages before the keyed stage: they keep every field (a map may add `w`), so any later stage may read them. */
const BEFORE_FILTERS = [
  '(r) => r.v === null || r.v > -30',
  "(r) => r.b || r.s !== 'z'",
  "(r) => r.k !== 'd'",
];
const BEFORE_MAPS = [
  '(r) => ({ ...r, v: r.v === null ? null : r.v * 2 })',
  '(r) => ({ ...r, s: r.s + r.k })',
  '(r) => ({ ...r, w: r.v === null ? 0 : r.v + 1 })',
];
/**
 * Stateless stages on keyed outputs (window results or process emits): they read nothing a given output may lack,
 * nor the approximate aggregates (approx, p50, p90, sd, var), whose engine values differ from the reference's exact ones.
 */
const AFTER_FILTERS = [
  "(o) => Object.keys(o).length % 3 !== 0 || o.fire !== 'late'",
  "(o) => typeof o.start !== 'number' || o.start % 2 === 0",
];
const AFTER_MAPS = [
  "(o) => ({ ...o, tag: 'after' })",
  '(o) => ({ out: o })',
];

/** Aggregates by name; a window draws a non-empty subset. Values of v are multiples of 1/4, so sums are exact. */
export const RANDOM_AGGS: Readonly<Record<string, string>> = {
  n: 'count()',
  total: "sum('v')",
  lo: "min('v')",
  hi: "max('v')",
  mean: "avg('v')",
  firstS: "first('s')",
  lastV: "last('v')",
  // An expression that keeps the whole record: the engine must hand it a copy, not its reused view.
  lastRec: 'last((r) => r)',
  distinct: "countDistinct('s')",
  distinctV: "countDistinct('v')",
  approx: "approxCountDistinct('s')",
  var: "variance('v')",
  sd: "stddev('v')",
  p50: "percentile('v', 0.5)",
  p90: "percentile('v', 0.9)",
  top2: "topN('s', 2)",
  squares: 'sum((r) => r.v === null ? 0 : r.v * r.v)',
  bFlags: 'aggregate({ init: () => 0, add: (acc, r) => acc + (r.b ? 1 : 0), merge: (x, y) => x + y, result: (acc) => acc })',
};

/** Keyed process functions with event-time timers. `GAP` is replaced by the drawn gap. */
const PROCESS_FUNCTIONS: Readonly<Record<string, string>> = {
  // Counts a key's records; when the watermark passes the last record's time + GAP, emits the count and starts over.
  'count-until-gap': `{
    state: { n: valueState(0) },
    onRecord(r, ctx) {
      ctx.state.n.set(ctx.state.n.get() + 1);
      ctx.timers.eventTime(ctx.timestamp + GAP);
    },
    onTimer(time, domain, ctx) {
      if (ctx.state.n.get() === 0) return;
      ctx.emit({ k: ctx.key, at: time, n: ctx.state.n.get() });
      ctx.state.n.clear();
    },
  }`,
  // Three records in a row with b true (in arrival order) emit an alert; a GAP of event time without one clears the run.
  'three-in-a-row': `{
    state: { run: listState() },
    onRecord(r, ctx) {
      if (!r.b) { ctx.state.run.clear(); return; }
      ctx.state.run.add(ctx.timestamp);
      ctx.timers.eventTime(ctx.timestamp + GAP);
      const run = ctx.state.run.get();
      if (run.length >= 3) {
        ctx.emit({ k: ctx.key, rule: 'three', at: ctx.timestamp, first: run[0] });
        ctx.state.run.clear();
      }
    },
    onTimer(time, domain, ctx) {
      ctx.state.run.set(ctx.state.run.get().filter((at) => at + GAP > time));
    },
  }`,
  // Keeps a key's latest record itself (the engine must hand it a copy, not its reused view) and emits it GAP after.
  'keep-record': `{
    state: { last: valueState(null) },
    onRecord(r, ctx) {
      ctx.state.last.set(r);
      ctx.timers.eventTime(ctx.timestamp + GAP);
    },
    onTimer(time, domain, ctx) {
      const last = ctx.state.last.get();
      if (last === null) return;
      ctx.emit({ k: ctx.key, at: time, last });
      ctx.state.last.clear();
    },
  }`,
};

export type RandomWindow = { kind: 'tumbling'; size: number } | { kind: 'sliding'; size: number; slide: number } | { kind: 'session'; gap: number };

export type RandomKeyed =
  | { kind: 'window'; window: RandomWindow; aggs: string[] }
  | { kind: 'process'; fn: string; gap: number };

export interface RandomBranch {
  /** Source text of each stateless stage before the keyed stage: ['filter', code] or ['map', code] or ['to', 'side']. */
  before: [op: 'filter' | 'map' | 'to', code: string][];
  keyed: RandomKeyed;
  after: [op: 'filter' | 'map', code: string][];
}

export interface PipelineSpec {
  /** keyBy's argument as source text: 'k', ['k', 's'] or a function of the source record. */
  key: string;
  branches: RandomBranch[];
  outOfOrderness: number;
  allowedLateness: number;
}

/** Where the job reads and writes: the NDJSON records file, and the file of the named sink 'side'. */
export interface PipelinePaths {
  source: string;
  side: string;
}

const FIELD_KEYS = ["'k'", "['k', 's']"];
const FN_KEY = '(r) => r.k.toUpperCase()';

const windowArb: fc.Arbitrary<RandomWindow> = fc.oneof(
  fc.integer({ min: 3, max: 30 }).map((size) => ({ kind: 'tumbling' as const, size })),
  fc.integer({ min: 2, max: 30 }).chain((size) => fc.integer({ min: 1, max: size }).map((slide) => ({ kind: 'sliding' as const, size, slide }))),
  fc.integer({ min: 2, max: 20 }).map((gap) => ({ kind: 'session' as const, gap })),
);

const keyedArb: fc.Arbitrary<RandomKeyed> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('window' as const), window: windowArb, aggs: fc.subarray(Object.keys(RANDOM_AGGS), { minLength: 1 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('process' as const), fn: fc.constantFrom(...Object.keys(PROCESS_FUNCTIONS)), gap: fc.integer({ min: 1, max: 25 }) }) },
);

const stageArb = <Op extends string>(ops: readonly [Op, readonly string[]][]): fc.Arbitrary<[Op, string]> =>
  fc.oneof(...ops.map(([op, codes]) => fc.constantFrom(...codes).map((code): [Op, string] => [op, code])));

function branchArb(mapsBefore: boolean): fc.Arbitrary<RandomBranch> {
  const beforeOps: [('filter' | 'map' | 'to'), readonly string[]][] = [['filter', BEFORE_FILTERS], ['to', ['side']]];
  if (mapsBefore) beforeOps.push(['map', BEFORE_MAPS]);
  return fc.record({
    before: fc.array(stageArb(beforeOps), { maxLength: 2 }),
    keyed: keyedArb,
    after: fc.array(stageArb<'filter' | 'map'>([['filter', AFTER_FILTERS], ['map', AFTER_MAPS]]), { maxLength: 2 }),
  });
}

/**
 * A random pipeline: a key (a map before keyBy(field) is refused by the plan
 * check, so maps before the keyed stage come only with a key function,
 * whose maps keep k), one or two branches, a bound and an allowed lateness.
 */
export const pipelineArb: fc.Arbitrary<PipelineSpec> = fc.oneof(
  fc.constantFrom(...FIELD_KEYS).map((key) => ({ key, mapsBefore: false })),
  fc.constant({ key: FN_KEY, mapsBefore: true }),
).chain(({ key, mapsBefore }) => fc.record({
  key: fc.constant(key),
  branches: fc.array(branchArb(mapsBefore), { minLength: 1, maxLength: 2 }),
  outOfOrderness: fc.integer({ min: 0, max: 20 }),
  allowedLateness: fc.constantFrom(0, 0, 5, 15),
}));

/**
 * A random pipeline whose first branch is a sliding window with a size a
 * multiple of its slide and exact distinct counts (of s, three values, and
 * of v, hundreds) among random other aggregates: the windows whose distinct
 * sets the engine keeps per pane (src/operators/pipeline/aggregate-set.ts).
 */
export const panesPipelineArb: fc.Arbitrary<PipelineSpec> = pipelineArb.chain((spec) => fc.record({
  slide: fc.integer({ min: 1, max: 8 }),
  panes: fc.integer({ min: 2, max: 6 }),
  aggs: fc.subarray(Object.keys(RANDOM_AGGS)),
}).map(({ slide, panes, aggs }): PipelineSpec => ({
  ...spec,
  branches: spec.branches.map((b, i) => (i > 0 ? b : {
    ...b,
    keyed: { kind: 'window', window: { kind: 'sliding', size: slide * panes, slide }, aggs: [...new Set(['distinct', 'distinctV', ...aggs])] },
  })),
})));

/**
 * Records in arrival order: event time mostly rises, each record up to
 * `bound` behind the front (in order within the bound), and about one in ten
 * further behind (late for windows whose end plus lateness has passed).
 */
export function recordsArb(bound: number, maxLength = 60, minLength = 0): fc.Arbitrary<Record<string, unknown>[]> {
  const one = fc.record({
    step: fc.integer({ min: 0, max: 3 }),
    behind: fc.oneof({ weight: 9, arbitrary: fc.integer({ min: 0, max: bound }) }, { weight: 1, arbitrary: fc.integer({ min: bound + 1, max: bound * 3 + 20 }) }),
    k: fc.constantFrom(...RANDOM_KEYS),
    v: fc.oneof({ weight: 9, arbitrary: fc.integer({ min: -200, max: 200 }).map((q) => q / 4) }, { weight: 1, arbitrary: fc.constant(null) }),
    s: fc.constantFrom('x', 'y', 'z'),
    b: fc.boolean(),
  });
  return fc.array(one, { minLength, maxLength }).map((rows) => {
    let front = RANDOM_T0;
    return rows.map(({ step, behind, k, v, s, b }) => {
      front += step;
      return { k, t: front - behind, v, s, b };
    });
  });
}

/** The pipeline as one expression per branch, over a root `root` and a key `key` (source text). */
function branchExprs(spec: PipelineSpec): string[] {
  return spec.branches.map((br) => {
    let e = 'root';
    for (const [op, code] of br.before) e += op === 'to' ? `\n  .to('${code}')` : `\n  .${op}(${code})`;
    e += '\n  .keyBy(key)';
    const k = br.keyed;
    if (k.kind === 'window') {
      const w = k.window;
      const win = w.kind === 'tumbling' ? `tumbling(${w.size})` : w.kind === 'sliding' ? `sliding(${w.size}, ${w.slide})` : `session(${w.gap})`;
      e += `\n  .window(${win})\n  .aggregate({ ${k.aggs.map((a) => `${a}: ${RANDOM_AGGS[a]}`).join(', ')} })`;
    } else {
      e += `\n  .process(${PROCESS_FUNCTIONS[k.fn]!.replaceAll('GAP', String(k.gap))})`;
    }
    for (const [op, code] of br.after) e += `\n  .${op}(${code})`;
    return e;
  });
}

function rootExpr(spec: PipelineSpec, paths: PipelinePaths): string {
  return `job({
  source: file(${JSON.stringify(paths.source)}, { fields: ${JSON.stringify(RANDOM_FIELDS)}, time: 't' }),
  sinks: { side: toFile(${JSON.stringify(paths.side)}) },
  outOfOrderness: ${spec.outOfOrderness},
  allowedLateness: ${spec.allowedLateness},
})`;
}

/** The names a pipeline's source text uses from 'sabre-stream'. */
const API_NAMES = [
  'job', 'file', 'toFile', 'tumbling', 'sliding', 'session', 'valueState', 'listState',
  'count', 'sum', 'min', 'max', 'avg', 'first', 'last', 'countDistinct', 'approxCountDistinct', 'variance', 'stddev', 'percentile', 'topN', 'aggregate',
] as const;

/**
 * The job module (.mjs source) of a pipeline. `sabreUrl` is the file URL of
 * the built package entry (dist/src/index.js), imported as 'sabre-stream' would be.
 */
export function renderJobModule(spec: PipelineSpec, paths: PipelinePaths, sabreUrl: string): string {
  const branches = branchExprs(spec);
  return `// A random pipeline (test/helpers/random-pipeline.ts).
import { ${API_NAMES.join(', ')} } from ${JSON.stringify(sabreUrl)};

const root = ${rootExpr(spec, paths)};
// One key for every branch (a key function too: branches must key by the same function).
const key = ${spec.key};

export default [
${branches.join(',\n')},
];
`;
}

/** The same pipeline built in-process from src/job (the streams a module would export). */
export function buildPipeline(spec: PipelineSpec, paths: PipelinePaths): unknown[] {
  const values = API_NAMES.map((n) => (api as Record<string, unknown>)[n]);
  const body = `const root = ${rootExpr(spec, paths)};\nconst key = ${spec.key};\nreturn [${branchExprs(spec).join(',\n')}];`;
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  return new Function(...API_NAMES, body)(...values) as unknown[];
}

/** The checked plan of the in-process pipeline. */
export function planOfSpec(spec: PipelineSpec, paths: PipelinePaths): JobPlan {
  return checkPlans(buildPipeline(spec, paths).map((s) => (s as { [PLAN]: never })[PLAN]), 'random-pipeline');
}

/**
 * A plan as comparable data: every setting, field, key and stage, functions
 * by their source text, leaving out what differs between two loads of the
 * same pipeline (call sites, the module name).
 */
export function planShape(plan: JobPlan): unknown {
  return JSON.parse(JSON.stringify(
    { settings: plan.settings, fields: plan.fields, timeField: plan.timeField, key: plan.key, branches: plan.branches, sinkNames: plan.sinkNames, sinks: plan.sinks },
    (name, value: unknown) => {
      if (name === 'where') return undefined;
      if (typeof value === 'function') return value.toString();
      return value;
    },
  ));
}

/**
 * Everything `sabre run --job FILE` needs for one case, written to `dir`:
 * the records (NDJSON, arrival order) and the job module reading them.
 */
export function writeJobCase(spec: PipelineSpec, records: readonly object[], dir: string, sabreUrl: string): { job: string; paths: PipelinePaths } {
  const paths: PipelinePaths = { source: join(dir, 'records.ndjson'), side: join(dir, 'side.ndjson') };
  writeFileSync(paths.source, records.map((r) => JSON.stringify(r)).join('\n') + (records.length > 0 ? '\n' : ''));
  const job = join(dir, 'job.mjs');
  writeFileSync(job, renderJobModule(spec, paths, sabreUrl));
  return { job, paths };
}
