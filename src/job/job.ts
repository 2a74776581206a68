// The pipeline builder a job module default-exports:
//
//   export default job({ source: generator('card-txns'), sink: toStdout() })
//     .filter((t) => t.status !== 'test')
//     .keyBy('card')
//     .window(sliding('10m', '1m'))
//     .aggregate({ n: count(), total: sum('amount') })
//     .filter((w) => w.n > 20);
//
// Every call returns a new stream holding the stages so far (a plan:
// plain data plus the job's functions). The main thread and every worker
// import the module and read the same plan (src/job/plan.ts); which stage
// runs where is in docs/ARCHITECTURE.md ("Jobs").
import type { WindowSpec } from '../time/window-spec.js';
import type { FieldsDecl, RowOf } from './fields.js';
import type { SourceSpec } from './sources.js';
import type { SinkSpec } from './sinks.js';
import type { Duration } from './windows.js';
import type { Agg, AggOutput, AggSpec } from './aggregates.js';
import type { ProcessFunction } from './process.js';
import type { TableSpec } from './lookup.js';

export interface JobSettings<F extends FieldsDecl> {
  readonly source: SourceSpec<F>;
  /** Where the pipeline's final stream goes (default: stdout). --sink overrides it. */
  readonly sink?: SinkSpec;
  /** Other sinks, by name, for `.to(name)`. */
  readonly sinks?: Readonly<Record<string, SinkSpec>>;
  /** Watermark bound: how far event time may run backwards (default: --out-of-orderness). */
  readonly outOfOrderness?: Duration;
  /** How long after a window fired late records still update it (default: --allowed-lateness). */
  readonly allowedLateness?: Duration;
  /** What a throwing job function does to its record: fail the run, or dead-letter it (default: --on-user-error). */
  readonly onUserError?: 'fail' | 'dead-letter';
}

/** A stage of the plan; `where` is the job file and line of the call that added it (for errors). */
export type Stage =
  | { readonly op: 'filter'; readonly where: string; readonly fn: (r: never) => unknown }
  | { readonly op: 'map'; readonly where: string; readonly fn: (r: never) => unknown }
  | { readonly op: 'lookup'; readonly where: string; readonly table: TableSpec<unknown>; readonly on: string; readonly as: string }
  | { readonly op: 'keyBy'; readonly where: string; readonly fields?: readonly string[]; readonly fn?: (r: never) => string | number }
  | { readonly op: 'window'; readonly where: string; readonly window: WindowSpec }
  | { readonly op: 'aggregate'; readonly where: string; readonly aggs: Readonly<Record<string, AggSpec>> }
  | { readonly op: 'process'; readonly where: string; readonly fn: ProcessFunction<never, unknown, unknown> }
  | { readonly op: 'to'; readonly where: string; readonly sink: string };

/** What a job module describes: its settings and stages, in order. */
export interface JobPlanSource {
  readonly settings: JobSettings<FieldsDecl>;
  readonly stages: readonly Stage[];
}

/** The symbol under which a stream carries its plan (so a job's own field names never collide with it). */
export const PLAN = Symbol.for('sabre.job.plan');

/** The fields of a window result besides the aggregates. */
export interface WindowFields {
  readonly start: number;
  readonly end: number;
  /** 'watermark' (the normal firing), 'early' or 'late' (updates). */
  readonly fire: 'watermark' | 'early' | 'late';
}

/** What a keyBy keeps in window results: the key fields by name, or `key` for a key function. */
type KeyOut<T, K> = K extends keyof T ? { readonly [P in K]: T[P] } : { readonly key: string };

export interface Stream<T> {
  readonly [PLAN]: JobPlanSource;
  filter(fn: (r: T) => boolean): Stream<T>;
  map<U extends object>(fn: (r: T) => U): Stream<U>;
  /** Adds field `as`: the table row whose key equals the record's field `on`, or null. */
  lookup<V, A extends string>(table: TableSpec<V>, opts: { on: keyof T & string; as: A }): Stream<T & { readonly [P in A]: V | null }>;
  /** Write this stream to the named sink (declared in job({ sinks })) and go on with it. */
  to(sink: string): Stream<T>;
  keyBy<K extends keyof T & string>(field: K | readonly K[]): KeyedStream<T, KeyOut<T, K>>;
  keyBy(fn: (r: T) => string | number): KeyedStream<T, { readonly key: string }>;
}

export interface KeyedStream<T, KO> {
  readonly [PLAN]: JobPlanSource;
  window(w: WindowSpec): WindowedStream<T, KO>;
  process<D, O extends object>(fn: ProcessFunction<T, D, O>): Stream<O>;
}

export interface WindowedStream<T, KO> {
  readonly [PLAN]: JobPlanSource;
  aggregate<A extends Record<string, Agg<T, unknown>>>(aggs: A): Stream<KO & WindowFields & AggOutput<A, T>>;
}

/** The job file and line of the caller of a builder method (the frame above this module's). */
function callSite(): string {
  const stack = new Error().stack?.split('\n') ?? [];
  for (const line of stack.slice(1)) {
    if (line.includes('/src/job/job.') || line.includes('\\src\\job\\job.')) continue;
    const m = /\(?((?:file:\/\/)?[^()\s]+:\d+:\d+)\)?\s*$/.exec(line);
    if (m) return m[1]!.replace(/^file:\/\//, '');
  }
  return 'the job module';
}

class Builder {
  readonly [PLAN]: JobPlanSource;

  constructor(plan: JobPlanSource) {
    this[PLAN] = plan;
  }

  private with(stage: Stage): Builder {
    const p = this[PLAN];
    return new Builder({ settings: p.settings, stages: [...p.stages, stage] });
  }

  filter(fn: (r: never) => unknown): Builder {
    return this.with({ op: 'filter', where: callSite(), fn });
  }

  map(fn: (r: never) => unknown): Builder {
    return this.with({ op: 'map', where: callSite(), fn });
  }

  lookup(table: TableSpec<unknown>, opts: { on: string; as: string }): Builder {
    return this.with({ op: 'lookup', where: callSite(), table, on: opts.on, as: opts.as });
  }

  to(sink: string): Builder {
    return this.with({ op: 'to', where: callSite(), sink });
  }

  keyBy(key: string | readonly string[] | ((r: never) => string | number)): Builder {
    const where = callSite();
    if (typeof key === 'function') return this.with({ op: 'keyBy', where, fn: key });
    return this.with({ op: 'keyBy', where, fields: typeof key === 'string' ? [key] : [...key] });
  }

  window(window: WindowSpec): Builder {
    return this.with({ op: 'window', where: callSite(), window });
  }

  aggregate(aggs: Record<string, AggSpec>): Builder {
    return this.with({ op: 'aggregate', where: callSite(), aggs });
  }

  process(fn: ProcessFunction<never, unknown, unknown>): Builder {
    return this.with({ op: 'process', where: callSite(), fn });
  }
}

/** Start a job: its source (with the fields it reads), sinks and time settings. */
export function job<F extends FieldsDecl>(settings: JobSettings<F>): Stream<RowOf<F>> {
  return new Builder({ settings: settings as JobSettings<FieldsDecl>, stages: [] }) as unknown as Stream<RowOf<F>>;
}
