import { availableParallelism } from 'node:os';
import { SabreError } from './errors.js';
import { parseDuration } from './time/duration.js';
import { parseWindow, type WindowSpec } from './time/window-spec.js';
import { BUILTIN_AGGREGATES } from './state/user-aggregate.js';
import { bad, camel, kebab } from './options/flags.js';
import { resolveAllowedOrigins } from './options/origins.js';
import { checkKeyBytes, resolveAuthToken, resolveTransactional } from './options/rules.js';
import { resolveChangelog } from './options/changelog.js';
import { parseStartFrom, type StartFrom } from './options/start-from.js';
import { parseReplay, type ReplayRange } from './options/replay.js';
import { JOB_GENERATORS, checkJobFlags } from './options/job-options.js';

export { kebab, camel };
export type { StartFrom } from './options/start-from.js';
export type { ReplayRange, ReplayBound } from './options/replay.js';
export { AUTH_TOKEN_ENV, MAX_TRANSACTIONAL_CHECKPOINT_INTERVAL_MS } from './options/rules.js';

/**
 * Every engine option, its flag, type, default and help, declared once. The
 * CLI, `--config` files and `createEngine()` all go through `resolveOptions`,
 * and the README's option table is generated from this list
 * (`sabre run --help`).
 */
type Kind = 'string' | 'int' | 'number' | 'duration' | 'bytes' | 'bool';

interface Spec {
  kind: Kind;
  default: string | number | boolean | undefined;
  help: string;
  min?: number;
  max?: number;
  choices?: readonly string[];
  /** bytes options are powers of two unless pow2 is false. */
  pow2?: boolean;
}

const CORES = availableParallelism();
/** --out-ring-size when not given: this, or --ring-size when that is larger. */
const DEFAULT_OUT_RING_SIZE = 1 << 20;

export const OPTION_SPECS = {
  job: {
    kind: 'string', default: undefined,
    help: 'a job module (.mjs, .js or .ts) whose default export is a pipeline built with sabre-stream\'s job(): it defines the key, '
      + 'time field, windows and aggregates (do not give --key/--time/--value/--agg/--window/--aggregate-module) and its source, '
      + 'sinks and time bounds (--source, --sink, --out-of-orderness, --allowed-lateness and the generator flags override them)',
  },
  source: {
    kind: 'string', default: 'generator',
    help: 'generator | file:PATH | stdin | kafka:TOPIC | http (http: only what is pushed to POST /ingest and WS /ws/ingest, until Ctrl-C)',
  },
  sink: { kind: 'string', default: 'stdout', help: 'stdout | file:PATH | null | kafka:TOPIC' },
  key: { kind: 'string', default: 'key', help: 'record field holding the key' },
  time: { kind: 'string', default: 'ts', help: 'record field holding event time (epoch ms or ISO-8601)' },
  value: { kind: 'string', default: 'value', help: 'record field holding the numeric value' },
  window: { kind: 'string', default: 'tumbling:1s', help: 'tumbling:SIZE | sliding:SIZE,SLIDE | session:GAP' },
  agg: { kind: 'string', default: 'count,sum,min,max,avg', help: 'aggregates, comma-separated (plus a user aggregate\'s name)' },
  aggregateModule: { kind: 'string', default: undefined, help: 'module exporting { name, init, add, merge, result }' },
  outOfOrderness: { kind: 'duration', default: '200ms', help: 'watermark bound: a window fires once maxTs - bound >= end' },
  allowedLateness: { kind: 'duration', default: '0', help: 'late records within this update fired windows ("late" firings)' },
  idleTimeout: { kind: 'duration', default: '5s', help: 'a partition without records this long stops holding windows back' },
  earlyFire: { kind: 'duration', default: '0', help: 'fire open windows every D of processing time as "early" (0 = off)' },
  maxFutureSkew: {
    kind: 'duration', default: '0',
    help: 'dead-letter records (future-time) whose event time is more than D ahead of the wall clock (0 = off)',
  },
  sinks: {
    kind: 'string', default: undefined,
    help: '--job only: replace the job\'s named sinks, NAME=TARGET[,NAME=TARGET…] with TARGET as for --sink (e.g. features=file:/tmp/f.ndjson)',
  },
  lateOutput: { kind: 'string', default: 'stderr', help: 'records beyond allowed lateness: stderr | file:PATH | null' },
  deadLetter: { kind: 'string', default: 'stderr', help: 'rejected input with its reason: stderr | file:PATH | null' },
  onUserError: {
    kind: 'string', default: 'fail', choices: ['fail', 'dead-letter'],
    help: '--job only: a job function (filter, map, key, process, aggregate) that throws fails the run with ERR_USER_FUNCTION (fail), '
      + 'or sends its record to --dead-letter with reason user-function (dead-letter); the job\'s onUserError setting applies unless given',
  },
  partitions: { kind: 'int', default: 4, min: 1, max: 4096, help: 'rings (P); key groups are spread over them' },
  workers: { kind: 'int', default: Math.max(1, CORES - 1), min: 1, max: 256, help: 'worker threads (W), default cores - 1' },
  keyGroups: { kind: 'int', default: 128, min: 1, max: 32768, help: 'key groups (fixed for a job\'s life, >= partitions)' },
  ringSize: { kind: 'bytes', default: '1MiB', min: 1024, max: 1 << 30, help: 'bytes per input ring (a power of two)' },
  outRingSize: {
    kind: 'bytes', default: undefined, min: 1024, max: 1 << 30,
    help: 'bytes per worker output ring (a power of two, >= --ring-size) [the larger of 1MiB and --ring-size]',
  },
  maxBatch: { kind: 'int', default: 256, min: 1, max: 65536, help: 'frames per ring publish under load' },
  spin: { kind: 'int', default: -1, min: -1, max: 1_000_000, help: 'worker polls of its rings before sleeping (-1 = auto: ~300 µs of polls while the machine leaves a core per thread, 0 when threads > cores)' },
  workerYoungGeneration: {
    kind: 'int', default: undefined, min: 3, max: 1536,
    help: 'MB of V8 young generation per worker (3 × its semi-space; main keeps node\'s --max-semi-space-size) [V8 default]',
  },
  generator: {
    kind: 'string', default: 'trades', choices: ['trades', 'cards', ...JOB_GENERATORS],
    help: 'generator record kind: trades and cards (key, ts, value records), card-txns and market (the records of a job module\'s '
      + 'generator(kind): sabre run --job draws them, sabre generate and sabre produce write them for a job to read)',
  },
  keys: { kind: 'int', default: 10000, min: 1, max: 2_000_000, help: 'generator: distinct keys' },
  keyBytes: { kind: 'int', default: 0, min: 0, max: 1 << 20, help: 'generator: pad every key with _ to this many bytes (0 = as drawn, SYM123)' },
  rate: { kind: 'number', default: 0, min: 0, help: 'generator: records/s (0 = as fast as possible)' },
  count: { kind: 'int', default: 0, min: 0, help: 'generator: records to produce (0 = unbounded)' },
  duration: { kind: 'duration', default: '0', help: 'generator: stop after this long (0 = unbounded)' },
  disorder: { kind: 'duration', default: '100ms', help: 'generator: max event-time jitter' },
  eventsPerMs: { kind: 'number', default: 1000, min: 0.001, help: 'generator: records per ms of simulated event time (unthrottled)' },
  seed: { kind: 'int', default: 42, min: 0, help: 'generator: PRNG seed' },
  progress: { kind: 'duration', default: '1s', help: 'progress line to stderr every D (0 = off)' },
  metrics: { kind: 'bool', default: true, help: 'latency histograms and GC figures per worker (false = counters only)' },
  httpPort: { kind: 'int', default: 8080, min: 0, max: 65535, help: 'metrics/dashboard/ingest port (0 = off)' },
  httpHost: { kind: 'string', default: '127.0.0.1', help: 'metrics/dashboard/ingest bind address' },
  maxBody: { kind: 'bytes', default: '1MiB', min: 1, max: 1 << 30, pow2: false, help: 'largest POST /ingest body (413 above)' },
  ingestTimeout: { kind: 'duration', default: '5s', help: 'how long an ingest request waits for ring space before 503' },
  authToken: { kind: 'string', default: undefined, help: 'bearer token required by POST /ingest, /ws/ingest and /ws/results (visible in ps: prefer --auth-token-file or env SABRE_AUTH_TOKEN)' },
  authTokenFile: { kind: 'string', default: undefined, help: 'read --auth-token from this file (contents trimmed)' },
  allowedOrigins: {
    kind: 'string', default: undefined,
    help: 'browser origins allowed besides the dashboard\'s own (http://HOST:PORT), comma-separated; * = any [own origin only]',
  },
  brokers: { kind: 'string', default: '127.0.0.1:9092', help: 'Kafka bootstrap brokers, comma-separated' },
  group: { kind: 'string', default: 'sabre', help: 'Kafka consumer group' },
  startFrom: {
    kind: 'string', default: 'committed',
    help: '--source kafka:TOPIC only: where a partition the group has no committed offset for starts. committed | earliest '
      + '(both: its beginning; earliest is the explicit name) | latest (its end when the source starts) | timestamp:T '
      + '(first record with timestamp >= T, epoch ms or ISO-8601). Committed offsets and a --restore checkpoint\'s positions always win',
  },
  replay: {
    kind: 'string', default: undefined,
    help: '--source kafka:TOPIC only: re-run the range FROM..TO of the topic deterministically, then end (each end: earliest, '
      + 'latest (TO only), an ISO-8601 time, timestamp:EPOCHMS or offset:N; TO excluded). Reads without a consumer group\'s '
      + 'commits; not with --start-from, --checkpoint-dir or --restore',
  },
  format: { kind: 'string', default: 'json', choices: ['json', 'flatbuffers'], help: 'Kafka value format (source and sink; a job\'s outputs as flatbuffers are sabre.fb.Records)' },
  checkpointDir: { kind: 'string', default: undefined, help: 'directory for checkpoints (unset = no checkpoints)' },
  checkpointInterval: { kind: 'duration', default: '10s', help: 'time between checkpoints' },
  checkpointsRetained: { kind: 'int', default: 3, min: 1, max: 1000, help: 'complete checkpoints kept' },
  restore: { kind: 'string', default: undefined, help: 'latest | PATH of a checkpoint manifest to restore from' },
  onWorkerError: { kind: 'string', default: 'restore', choices: ['restore', 'fail'], help: 'what a worker failure does' },
  restartLimit: { kind: 'int', default: 3, min: 0, max: 1000, help: 'restores after worker failures before giving up' },
  sinkTransactional: {
    kind: 'string', default: 'auto', choices: ['auto', 'true', 'false'],
    help: 'Kafka sink commits each checkpoint\'s results in one transaction (auto = with --checkpoint-dir)',
  },
  transactionalId: { kind: 'string', default: undefined, help: 'transactional.id of that sink (default: from the topic and --checkpoint-dir; with --changelog also the --group and host: one per member)' },
  changelog: {
    kind: 'string', default: undefined,
    help: 'scale out: this process becomes one member of the job\'s consumer group (--group); each checkpoint writes the state of '
      + 'the Kafka partitions it owns to this compacted changelog topic (auto = GROUP-changelog) in the transaction that commits '
      + 'their results and offsets, and every member restores the partitions it is assigned from there, on any machine. Needs '
      + '--source kafka:TOPIC, --partitions = its partition count, --checkpoint-dir (one per member) and a kafka: sink (docs/SCALING.md) [off]',
  },
} as const satisfies Record<string, Spec>;

export type OptionName = keyof typeof OPTION_SPECS;
export type RawOptions = Partial<Record<OptionName, string | number | boolean>>;

/** The resolved type of each kind of option; durations and sizes become numbers (ms, bytes). */
interface KindType { string: string; int: number; number: number; duration: number; bytes: number; bool: boolean }
/** One spec's resolved type: its choices if it has them, else its kind's; `| undefined` when it has no default. */
type ResolvedValue<S> =
  | (S extends { readonly choices: readonly (infer C)[] } ? C : S extends { readonly kind: infer K extends Kind } ? KindType[K] : never)
  | (S extends { readonly default: undefined } ? undefined : never);
/** Every spec'd option as resolveOptions leaves it, before the derived fields of ResolvedOptions replace some. */
type SpecifiedOptions = { readonly [N in OptionName]: ResolvedValue<(typeof OPTION_SPECS)[N]> };

/**
 * Options after validation: every default filled in, durations in ms, sizes
 * in bytes. Frozen. Derived from OPTION_SPECS; only the fields resolveOptions
 * turns into something else are declared here.
 */
export interface ResolvedOptions extends Omit<SpecifiedOptions, 'agg' | 'window' | 'outRingSize' | 'allowedOrigins' | 'sinkTransactional' | 'startFrom' | 'replay'> {
  readonly window: WindowSpec;
  /** --window as given, e.g. "tumbling:1s". */
  readonly windowText: string;
  /** --agg split on commas. */
  readonly aggregates: readonly string[];
  /** Bytes; --out-ring-size when given, else the larger of 1MiB and --ring-size. */
  readonly outRingSize: number;
  /** Normalised origins (scheme://host[:port]) or '*', besides the dashboard's own; empty = own origin only. */
  readonly allowedOrigins: readonly string[];
  /** Resolved from auto: true when the sink is kafka:TOPIC and --checkpoint-dir is set. */
  readonly sinkTransactional: boolean;
  /** --start-from parsed (options/start-from.ts); given only with --source kafka:TOPIC. */
  readonly startFrom: StartFrom;
  /** --replay parsed (options/replay.ts); only with --source kafka:TOPIC. */
  readonly replay?: ReplayRange;
  /** With --job: the shape of the job's state (job/plan-shape.ts), part of its checkpoints' fingerprint. Set by the engine. */
  readonly jobShape?: string;
  // changelog: the changelog topic's name (options/changelog.ts), undefined when off.
  // authToken: from --auth-token, else --auth-token-file (trimmed), else env SABRE_AUTH_TOKEN.
  // transactionalId: set exactly when sinkTransactional: the given id, or one derived from the sink topic and the checkpoint directory.
}

export function parseBytes(v: string | number, name: string): number {
  if (typeof v === 'number') return v;
  const m = /^\s*(\d+)\s*(b|k|kb|kib|m|mb|mib|g|gb|gib)?\s*$/i.exec(v);
  if (!m) return bad(name, `"${v}" is not a size; use bytes or a value like 64KiB, 4MiB`);
  const unit = (m[2] ?? 'b').toLowerCase()[0]!;
  return Number(m[1]) * ({ b: 1, k: 1024, m: 1 << 20, g: 1 << 30 } as Record<string, number>)[unit]!;
}

function convert(name: OptionName, spec: Spec, v: string | number | boolean): string | number | boolean {
  switch (spec.kind) {
    case 'string':
      if (typeof v !== 'string' || v === '') return bad(name, 'expects a non-empty string');
      if (spec.choices && !spec.choices.includes(v)) return bad(name, `expects one of ${spec.choices.join(', ')}, got "${v}"`);
      return v;
    case 'bool':
      if (typeof v === 'boolean') return v;
      if (v === 'true' || v === 'false') return v === 'true';
      return bad(name, 'expects true or false');
    case 'duration':
      if (typeof v === 'boolean') return bad(name, 'expects a duration');
      try { return parseDuration(v, `--${kebab(name)}`); } catch (e) { throw e; }
    case 'bytes': {
      if (typeof v === 'boolean') return bad(name, 'expects a size');
      const n = parseBytes(v, name);
      if (spec.pow2 !== false && (n & (n - 1)) !== 0) return bad(name, `${n} bytes is not a power of two`);
      return range(name, spec, n);
    }
    case 'int':
    case 'number': {
      const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
      if (!Number.isFinite(n)) return bad(name, `expects a number, got "${String(v)}"`);
      if (spec.kind === 'int' && !Number.isInteger(n)) return bad(name, `expects an integer, got ${n}`);
      return range(name, spec, n);
    }
  }
}

function range(name: string, spec: Spec, n: number): number {
  if (spec.min !== undefined && n < spec.min) bad(name, `must be at least ${spec.min}, got ${n}`);
  if (spec.max !== undefined && n > spec.max) bad(name, `must be at most ${spec.max}, got ${n}`);
  return n;
}

/** Validate once, fill defaults, check cross-field rules. */
export function resolveOptions(raw: RawOptions = {}, env: NodeJS.ProcessEnv = process.env): ResolvedOptions {
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(raw)) {
    if (!(k in OPTION_SPECS)) {
      throw new SabreError('ERR_INVALID_OPTION',
        `unknown option "${k}"; known options: ${Object.keys(OPTION_SPECS).join(', ')}`);
    }
  }
  for (const [name, spec] of Object.entries(OPTION_SPECS) as [OptionName, Spec][]) {
    // null is not "the default" (a --config file or a caller that means the default leaves the option out).
    if ((raw[name] as unknown) === null) {
      bad(name, `is null; give a value${spec.default !== undefined ? ` (default ${String(spec.default)})` : ''} or leave the option out`);
    }
    let v = raw[name] ?? spec.default;
    // Library and --config callers may pass true/false to a choice of 'true' | 'false'.
    if (typeof v === 'boolean' && spec.kind === 'string' && (spec as Spec).choices?.includes(String(v))) v = String(v);
    out[name] = v === undefined ? undefined : convert(name, spec, v);
  }
  out.windowText = out.window;
  out.window = parseWindow(out.window as string);
  const aggs = (out.agg as string).split(',').map((s) => s.trim()).filter(Boolean);
  if (aggs.length === 0) bad('agg', 'name at least one aggregate');
  if (new Set(aggs).size !== aggs.length) bad('agg', 'lists an aggregate twice');
  const unknown = aggs.filter((a) => !(BUILTIN_AGGREGATES as readonly string[]).includes(a));
  if (unknown.length > 1 || (unknown.length === 1 && !out.aggregateModule)) {
    bad('agg', `unknown aggregate ${unknown.join(', ')}; built in: ${BUILTIN_AGGREGATES.join(', ')}` +
      ' (a user aggregate needs --aggregate-module PATH)');
  }
  out.aggregates = Object.freeze(aggs);
  delete out.agg;
  if ((out.keyGroups as number) < (out.partitions as number)) {
    bad('keyGroups', `(${out.keyGroups}) must be at least --partitions (${out.partitions}): a partition owns whole key groups`);
  }
  out.outRingSize ??= Math.max(DEFAULT_OUT_RING_SIZE, out.ringSize as number);
  if ((out.outRingSize as number) < (out.ringSize as number)) {
    // A result frame carries its record's key: the largest record an input ring accepts (a quarter of
    // --ring-size) must leave a result that fits an out-ring frame (half of --out-ring-size; workers/out-writer.ts).
    bad('outRingSize', `(${out.outRingSize}) must be at least --ring-size (${out.ringSize}): a window result carries its record's key, `
      + `so the largest record a ring accepts must leave a result that fits the out-ring; raise --out-ring-size to ${out.ringSize} or lower --ring-size`);
  }
  checkJobFlags(raw);
  checkKeyBytes(out);
  resolveChangelog(out, raw.keyGroups !== undefined);
  resolveTransactional(out);
  resolveAuthToken(out, env);
  out.allowedOrigins = resolveAllowedOrigins(out.allowedOrigins as string | undefined);
  out.startFrom = parseStartFrom(out.startFrom as string);
  if (raw.startFrom !== undefined && !(out.source as string).startsWith('kafka:')) {
    bad('startFrom', `applies to --source kafka:TOPIC only (the source is ${String(out.source)}); leave it out`);
  }
  if (out.replay !== undefined) checkReplay(out, raw);
  return Object.freeze(out) as unknown as ResolvedOptions;
}

/** --replay: parsed, and only where a replay means something (a re-runnable read of a Kafka range). */
function checkReplay(out: Record<string, unknown>, raw: RawOptions): void {
  out.replay = parseReplay(out.replay as string);
  const source = String(out.source);
  if (!source.startsWith('kafka:') || source.length === 'kafka:'.length) {
    bad('replay', `reads a Kafka topic: give --source kafka:TOPIC (the source is ${source})`);
  }
  if (raw.startFrom !== undefined) bad('replay', 'sets where every partition starts itself: leave out --start-from');
  if (out.checkpointDir !== undefined || out.restore !== undefined) {
    bad('replay', 'a replay is re-run, not resumed: leave out --checkpoint-dir and --restore (run the same --replay again instead)');
  }
}

/**
 * `--help` lines for `names` (default: every option, i.e. `sabre run`),
 * generated from the specs so they never drift: help, the allowed values of
 * an option with choices, and the default (`defaults` overrides it for a
 * command that has its own, e.g. `sabre generate --count`).
 */
export function optionsHelp(names: readonly OptionName[] = Object.keys(OPTION_SPECS) as OptionName[],
  defaults: Partial<Record<OptionName, string | number>> = {}): string {
  const width = Math.max(...names.map((n) => kebab(n).length)) + 2;
  return names.map((name) => {
    const s: Spec = OPTION_SPECS[name];
    const def = defaults[name] ?? s.default;
    const choices = s.choices ? `; one of ${s.choices.join(' | ')}` : '';
    return `  --${kebab(name).padEnd(width)} ${s.help}${choices}${def !== undefined ? ` [${String(def)}]` : ''}`;
  }).join('\n');
}
