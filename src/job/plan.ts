// A job module's stages, checked and cut into the parts the engine runs:
// what the main thread needs to partition (fields, time, key) and the
// worker's chain (stages before the keyed stage, the keyed stage, stages
// after it). Errors name the job file and the line of the offending call.
import { SabreError } from '../errors.js';
import type { WindowSpec } from '../time/window-spec.js';
import { normalizeFields, type Field, type FieldsDecl } from './fields.js';
import { PLAN, type JobPlanSource, type JobSettings, type Stage } from './job.js';
import type { SinkSpec } from './sinks.js';
import type { AggSpec } from './aggregates.js';
import type { ProcessFunction } from './process.js';

/** How the main thread keys a record: by source fields, by the job's key function, or not at all (round robin). */
export type KeySpec =
  | { readonly kind: 'fields'; readonly fields: readonly string[]; readonly where: string }
  | { readonly kind: 'fn'; readonly fn: (r: never) => string | number; readonly where: string }
  | { readonly kind: 'none' };

export type KeyedStage =
  | { readonly kind: 'window'; readonly window: WindowSpec; readonly aggs: Readonly<Record<string, AggSpec>>; readonly where: string }
  | { readonly kind: 'process'; readonly fn: ProcessFunction<never, unknown, unknown>; readonly where: string };

/** Stages without state: they run per record, in the workers. */
export type StatelessStage = Extract<Stage, { op: 'filter' | 'map' | 'lookup' | 'to' }>;

/** The name of the default sink in `sinks` (where a pipeline's final stream goes). */
export const DEFAULT_SINK = '';

/** One pipeline of a job: several may share the job's source and key (a job module may export a list). */
export interface Branch {
  /** Stateless stages before the keyed stage (or all of them when there is none). */
  readonly before: readonly StatelessStage[];
  readonly keyed: KeyedStage | undefined;
  /** Stateless stages on the keyed stage's outputs. */
  readonly after: readonly StatelessStage[];
}

export interface JobPlan {
  /** The job module (a path), for messages. */
  readonly module: string;
  readonly settings: JobSettings<FieldsDecl>;
  /** The source fields the job reads, in projection order (src/codec/row-layout.ts). */
  readonly fields: readonly Field[];
  readonly timeField: string;
  /** The one key every keyed branch uses (the main thread partitions by it once). */
  readonly key: KeySpec;
  /** The pipelines, in export order; every record goes through each. */
  readonly branches: readonly Branch[];
  /** Every sink by name; DEFAULT_SINK is the pipeline's end. Indexes into this order travel in output frames. */
  readonly sinkNames: readonly string[];
  readonly sinks: Readonly<Record<string, SinkSpec>>;
}

const fail = (where: string, why: string): never => {
  throw new SabreError('ERR_INVALID_JOB', `${where}: ${why}`);
};

/**
 * The plan a job module exports: its default export is a pipeline built with
 * job(), or a list of pipelines built from the same job() (branches over one
 * source, keyed by the same key).
 */
export function planOf(mod: Record<string, unknown>, module: string, inferred?: FieldsDecl): JobPlan {
  return checkPlans(exportedPlans(mod, module), module, inferred);
}

/** The job() settings of a module's default export (what loadJob needs before the plan can be checked: its source). */
export function exportedSettings(mod: Record<string, unknown>, module: string): JobSettings<FieldsDecl> | undefined {
  return exportedPlans(mod, module)[0]!.settings;
}

function exportedPlans(mod: Record<string, unknown>, module: string): JobPlanSource[] {
  const exported = mod.default;
  const streams = Array.isArray(exported) ? exported : [exported];
  const sources = streams.map((x) => (x as { [PLAN]?: JobPlanSource } | undefined)?.[PLAN]);
  if (streams.length === 0 || sources.some((p) => p === undefined)) {
    return fail(module, 'the module must `export default` a pipeline built with job({ source, sink }) from sabre-stream (or a list of them)');
  }
  return sources as JobPlanSource[];
}

/**
 * Check branches built from one job(): the same settings object, one key.
 * `inferred`: the fields when the source declares none (src/job/infer-fields.ts).
 */
export function checkPlans(srcs: readonly JobPlanSource[], module: string, inferred?: FieldsDecl): JobPlan {
  const plans = srcs.map((p) => checkPlan(p, module, inferred));
  const first = plans[0]!;
  if (srcs.some((p) => p.settings !== srcs[0]!.settings)) {
    fail(module, 'every exported pipeline must start from the same job({ ... }) (one source per job)');
  }
  let key: KeySpec = { kind: 'none' };
  for (const p of plans) {
    if (p.key.kind === 'none') continue;
    if (key.kind === 'none') key = p.key;
    else if (!sameKey(key, p.key)) {
      fail(p.key.where, `every pipeline of a job must key by the same key (the first keys at ${key.where}): re-keying needs an exchange between workers, which Sabre does not have yet`);
    }
  }
  return { ...first, key, branches: plans.flatMap((p) => p.branches) };
}

function sameKey(a: KeySpec, b: KeySpec): boolean {
  if (a.kind === 'fields' && b.kind === 'fields') return a.fields.length === b.fields.length && a.fields.every((f, i) => f === b.fields[i]);
  if (a.kind === 'fn' && b.kind === 'fn') return a.fn === b.fn;
  return false;
}

export function checkPlan(src: JobPlanSource, module: string, inferred?: FieldsDecl): JobPlan {
  const s = src.settings;
  if (s === undefined || typeof s !== 'object' || s.source === undefined) fail(module, 'job({ source }) needs a source');
  const declared = s.source.fields ?? inferred;
  if (declared === undefined) {
    fail(module, 'the source declares no fields, and they can be inferred only by `sabre run` from a `kafka`, `file` or `stdin` source\'s first records: '
      + 'declare them in the source\'s `fields`');
  }
  const fields = normalizeFields(declared!, `${module}: source fields`);
  const names = new Set(fields.map((f) => f.name));
  // Inferred fields are only those the sampled records had: say so where a field is missing.
  const fieldList = (): string => `${[...names].join(', ')}${s.source.fields === undefined ? '; inferred from the source\'s first records: declare `fields` for others' : ''}`;
  const time = fields.find((f) => f.name === s.source.time);
  if (time === undefined) fail(module, `the source's time field "${String(s.source.time)}" is not one of its fields (${fieldList()})`);
  if (time!.type !== 'time' && time!.type !== 'number') fail(module, `the time field "${time!.name}" must be of type time or number, not ${time!.type}`);
  const sinks: Record<string, SinkSpec> = { [DEFAULT_SINK]: s.sink ?? { kind: 'stdout' } };
  for (const [name, sink] of Object.entries(s.sinks ?? {})) {
    if (name === DEFAULT_SINK) fail(module, 'a named sink needs a non-empty name');
    sinks[name] = sink;
  }
  const before: StatelessStage[] = [];
  const after: StatelessStage[] = [];
  let key: KeySpec = { kind: 'none' };
  let keyed: KeyedStage | undefined;
  let window: { window: WindowSpec; where: string } | undefined;
  let mapped = false;
  for (const st of src.stages) {
    switch (st.op) {
      case 'filter': case 'map': case 'lookup': case 'to':
        if (window) fail(st.where, `.${st.op}() cannot follow .window(): add .aggregate({ ... }) first`);
        if (key.kind !== 'none' && keyed === undefined) fail(st.where, `.${st.op}() cannot follow .keyBy(): follow it with .window() or .process()`);
        if (st.op === 'to' && sinks[st.sink] === undefined) {
          fail(st.where, `.to("${st.sink}"): no such sink; declare it in job({ sinks: { ${JSON.stringify(st.sink)}: ... } })`);
        }
        if (st.op === 'lookup' && (typeof st.table?.key !== 'string' || typeof st.on !== 'string' || typeof st.as !== 'string')) {
          fail(st.where, '.lookup(table, { on, as }) needs a table with a key field, and the record field `on` and the new field name `as`');
        }
        if (st.op === 'map' || st.op === 'lookup') mapped = true;
        (keyed ? after : before).push(st);
        break;
      case 'keyBy':
        if (keyed || key.kind !== 'none') fail(st.where, 'a job is keyed once for now: re-keying needs an exchange between workers, which Sabre does not have yet');
        if (st.fn) key = { kind: 'fn', fn: st.fn, where: st.where };
        else {
          const ks = st.fields ?? [];
          if (ks.length === 0) fail(st.where, '.keyBy() needs a field, a list of fields or a function');
          if (mapped) fail(st.where, '.keyBy(field) keys the source record: put it before .map()/.lookup(), or key with a function of the source record');
          for (const k of ks) {
            if (!names.has(k)) fail(st.where, `.keyBy("${k}"): not a source field (the fields are ${fieldList()})`);
            const f = fields.find((x) => x.name === k)!;
            if (f.type !== 'string' && f.type !== 'number') fail(st.where, `.keyBy("${k}"): a key field must be a string or a number, not ${f.type}`);
          }
          key = { kind: 'fields', fields: ks, where: st.where };
        }
        break;
      case 'window':
        if (key.kind === 'none' || keyed) fail(st.where, '.window() must follow .keyBy()');
        window = { window: st.window, where: st.where };
        break;
      case 'aggregate':
        if (!window) fail(st.where, '.aggregate() must follow .window()');
        if (Object.keys(st.aggs).length === 0) fail(st.where, '.aggregate({}) needs at least one aggregate');
        for (const [name, a] of Object.entries(st.aggs)) {
          if (a === null || typeof a !== 'object' || typeof a.kind !== 'string') fail(st.where, `aggregate "${name}" is not an aggregate (use count(), sum('field'), ...)`);
          if (a.field !== undefined && !names.has(a.field) && !mapped) {
            fail(st.where, `aggregate "${name}": "${a.field}" is not a source field (the fields are ${fieldList()})`);
          }
        }
        keyed = { kind: 'window', window: window!.window, aggs: st.aggs, where: st.where };
        window = undefined;
        break;
      case 'process':
        if (key.kind === 'none' || keyed || window) fail(st.where, '.process() must follow .keyBy()');
        if (typeof st.fn?.onRecord !== 'function') fail(st.where, '.process({ onRecord(record, ctx) { ... } }) needs an onRecord function');
        keyed = { kind: 'process', fn: st.fn, where: st.where };
        break;
      default:
        fail(module, `unknown stage ${(st as { op: string }).op}`);
    }
  }
  if (window) fail(window.where, '.window() must be followed by .aggregate({ ... })');
  if (key.kind !== 'none' && keyed === undefined) fail(key.where, '.keyBy() must be followed by .window(...).aggregate(...) or .process(...)');
  const sinkNames = Object.keys(sinks);
  return { module, settings: s, fields, timeField: time!.name, key, branches: [{ before, keyed, after }], sinkNames, sinks };
}

/** A job module loaded by the main thread: its plan, and the URL every worker imports to get the same plan. */
export interface LoadedJob {
  readonly plan: JobPlan;
  /** An importable URL (file:) of the module as Node runs it (a .ts job is transpiled first; src/job/load-job.ts). */
  readonly url: string;
  /** The source's fields when it declares none: inferred from its first `records` records (workers get them too). */
  readonly inferred?: { readonly fields: FieldsDecl; readonly records: number; readonly from: string } | undefined;
}
