// Where a job's records come from, as the job module declares it. The
// command line's --source overrides the kind and place, keeping the job's
// fields and time field (a job written against Kafka runs on a file too).
import type { FieldsDecl } from './fields.js';

/** Built-in generator record kinds with their fields (src/io/generator/job-generators.ts draws them). */
export const GENERATOR_FIELDS = {
  /** Card transactions: the fraud example's input. */
  'card-txns': { card: 'string', merchant: 'string', amount: 'number', status: 'string', at: 'time' },
  /** Trades and quotes of symbols: the market-bars example's input. */
  market: { symbol: 'string', price: 'number', qty: 'number', side: 'string', at: 'time' },
} as const satisfies Record<string, FieldsDecl>;

export type JobGeneratorKind = keyof typeof GENERATOR_FIELDS;

export interface SourceOptions<F extends FieldsDecl> {
  /** The fields the job reads; only these travel to the workers. */
  readonly fields: F;
  /** The event-time field: a 'time' or 'number' field (epoch ms, or an ISO-8601 string for 'time'). */
  readonly time: keyof F & string;
}

/**
 * A source that declares no fields (kafka and file): `sabre run` infers them
 * from its first records (src/job/infer-fields.ts) and the job's records are
 * untyped in TypeScript.
 */
export interface InferringSourceOptions {
  /** The event-time field (epoch ms, or an ISO-8601 string). */
  readonly time: string;
}

export type SourceSpec<F extends FieldsDecl = FieldsDecl> =
  | { readonly kind: 'generator'; readonly generator: JobGeneratorKind; readonly fields: F; readonly time: string;
      /** Generator settings the job fixes (the command line's --keys, --rate, --count, --seed… override them). */
      readonly keys?: number; readonly rate?: number; readonly count?: number; readonly seed?: number;
      readonly eventsPerMs?: number; readonly disorder?: number }
  | { readonly kind: 'kafka'; readonly topic: string; readonly fields: F | undefined; readonly time: string }
  | { readonly kind: 'file'; readonly path: string; readonly fields: F | undefined; readonly time: string }
  | { readonly kind: 'stdin'; readonly fields: F | undefined; readonly time: string }
  | { readonly kind: 'http'; readonly fields: F; readonly time: string };

export interface GeneratorOptions {
  keys?: number;
  rate?: number;
  count?: number;
  seed?: number;
  /** Records per ms of simulated event time (--events-per-ms). */
  eventsPerMs?: number;
  /** Max event-time jitter, ms (--disorder). */
  disorder?: number;
}

/** The built-in generator of `kind` records (its fields are fixed; its time field is `at`). */
export function generator<K extends JobGeneratorKind>(kind: K, opts: GeneratorOptions = {}): SourceSpec<(typeof GENERATOR_FIELDS)[K]> {
  return { kind: 'generator', generator: kind, fields: GENERATOR_FIELDS[kind], time: 'at', ...opts };
}

/**
 * A Kafka topic of JSON (or flatbuffers Record) values; the broker and group
 * come from --brokers and --group. Without `fields`, they are inferred from
 * the topic's first records when the run starts.
 */
export function kafka<F extends FieldsDecl>(topic: string, opts: SourceOptions<F>): SourceSpec<F>;
export function kafka(topic: string, opts: InferringSourceOptions): SourceSpec<FieldsDecl>;
export function kafka(topic: string, opts: SourceOptions<FieldsDecl> | InferringSourceOptions): SourceSpec<FieldsDecl> {
  return { kind: 'kafka', topic, fields: 'fields' in opts ? opts.fields : undefined, time: opts.time };
}

/** An NDJSON file. Without `fields`, they are inferred from its first lines when the run starts. */
export function file<F extends FieldsDecl>(path: string, opts: SourceOptions<F>): SourceSpec<F>;
export function file(path: string, opts: InferringSourceOptions): SourceSpec<FieldsDecl>;
export function file(path: string, opts: SourceOptions<FieldsDecl> | InferringSourceOptions): SourceSpec<FieldsDecl> {
  return { kind: 'file', path, fields: 'fields' in opts ? opts.fields : undefined, time: opts.time };
}

/**
 * NDJSON on standard input. Without `fields`, they are inferred from its first
 * lines when the run starts (the run then reads those lines too).
 */
export function stdin<F extends FieldsDecl>(opts: SourceOptions<F>): SourceSpec<F>;
export function stdin(opts: InferringSourceOptions): SourceSpec<FieldsDecl>;
export function stdin(opts: SourceOptions<FieldsDecl> | InferringSourceOptions): SourceSpec<FieldsDecl> {
  return { kind: 'stdin', fields: 'fields' in opts ? opts.fields : undefined, time: opts.time };
}

/** Records pushed to POST /ingest and WS /ws/ingest (needs --http-port). */
export function http<F extends FieldsDecl>(opts: SourceOptions<F>): SourceSpec<F> {
  return { kind: 'http', fields: opts.fields, time: opts.time };
}
