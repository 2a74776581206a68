// The single-threaded reference of a job module's pipeline (src/job/), the
// oracle the engine's job runs are checked against. Like reference-job.ts it
// is written to be read next to docs/SEMANTICS.md, not to be fast, and
// shares no code with the engine's operators: it takes the checked plans
// (src/job/plan.ts: that is the spec) and interprets them with plain objects.
//
// A job module may export several branches (`export default [a, b]`): each
// is a pipeline from the same job(...) root, keyed by the same key; each runs
// over every record on its own (its stateless stages, its own keyed state
// and watermarks).
//
// Per record, in arrival order:
//  1. project it to the declared fields and key it (reference-record.ts); a
//     bad record is dead-lettered once, for every branch;
//  2. per branch: run the
//     `before` stages (filter, map, lookup, to), then the keyed stage of its
//     partition (windows: reference-window-stage.ts; process functions:
//     reference-process-stage.ts), whose outputs run the `after` stages and
//     end in the default sink. Without a keyed stage the record goes straight
//     to the default sink.
// A record a `before` filter drops never reaches its keyed stage, so it moves
// no watermark. At the end of input every partition's watermark becomes +∞.
import { DEFAULT_SINK, type Branch, type JobPlan, type StatelessStage } from '../../src/job/plan.js';
import type { TableSpec } from '../../src/job/lookup.js';
import type { ProcessFunction, StateDecl } from '../../src/job/process.js';
import { parseDuration } from '../../src/time/duration.js';
import { murmur2, toPositive } from '../../src/partition/murmur2.js';
import { keyOf, project } from './reference-record.js';
import { RefWindowPartition, type KeyedInput } from './reference-window-stage.js';
import { RefProcessPartition } from './reference-process-stage.js';

export interface RefDeadLetter {
  reason: 'not-an-object' | 'bad-field' | 'bad-time' | 'missing-key' | 'user-function';
  detail: string;
  /** The source record (a bad record, or a throwing key function), or the record the throwing function was given. */
  record: unknown;
}

export interface RefPipelineOptions {
  partitions: number;
  partitionOf(key: string): number;
  /**
   * --out-of-orderness, --allowed-lateness (ms) and --on-user-error as given
   * on the command line: each wins over the job's own setting, which wins
   * over the engine's default (200 ms, 0, 'fail'), as `sabre run --job` does.
   */
  outOfOrderness?: number;
  allowedLateness?: number;
  onUserError?: 'fail' | 'dead-letter';
  /** Lookup tables by tableName(spec): key (as a string) → row. */
  tables?: ReadonlyMap<string, ReadonlyMap<string, unknown>>;
}

/** The engine's defaults for what neither the command line nor the job sets (src/options.ts). */
const DEFAULT_OUT_OF_ORDERNESS = 200;
const DEFAULT_ALLOWED_LATENESS = 0;

export interface RefPipelineOutput {
  /** Sink name → the objects written to it, in order (DEFAULT_SINK '' is every branch's end). */
  sinks: Map<string, Record<string, unknown>[]>;
  /** Records too late for every window: { ...record, reason: 'late', watermark }. */
  late: Record<string, unknown>[];
  deadLetter: RefDeadLetter[];
}

/** The engine's partition of a key (docs/SEMANTICS.md "Partitioning"), for RefPipelineOptions.partitionOf. */
export function partitionOfKey(partitions: number, keyGroups = 128): (key: string) => number {
  return (key) => (toPositive(murmur2(new TextEncoder().encode(key))) % keyGroups) % partitions;
}

/** The name a lookup table goes by in RefPipelineOptions.tables: its file path or Kafka topic. */
export function tableName(t: TableSpec<unknown>): string {
  return t.source.kind === 'file' ? t.source.path : t.source.topic;
}

type Keyed = { onRecord(r: KeyedInput): void; onEnd(): void };

interface BranchRun {
  branch: Branch;
  /** One keyed stage per partition, made on first use. */
  partitions: Map<number, Keyed>;
}

/** Run a checked job plan (checkPlans/planOf of src/job/plan.ts) over `records`, the source's objects in arrival order. */
export function runReferencePipeline(plan: JobPlan, records: readonly unknown[], opts: RefPipelineOptions): RefPipelineOutput {
  const out: RefPipelineOutput = { sinks: new Map(plan.sinkNames.map((name) => [name, []])), late: [], deadLetter: [] };
  const s = plan.settings;
  const onUserError = opts.onUserError ?? s.onUserError ?? 'fail';
  const bound = opts.outOfOrderness ?? (s.outOfOrderness !== undefined ? parseDuration(s.outOfOrderness, 'outOfOrderness') : DEFAULT_OUT_OF_ORDERNESS);
  const lateness = opts.allowedLateness ?? (s.allowedLateness !== undefined ? parseDuration(s.allowedLateness, 'allowedLateness') : DEFAULT_ALLOWED_LATENESS);
  const guard = (record: unknown, run: () => void): boolean => {
    try {
      run();
      return true;
    } catch (e) {
      if (onUserError === 'fail') throw e;
      out.deadLetter.push({ reason: 'user-function', detail: String(e), record });
      return false;
    }
  };
  const write = (sink: string, r: Record<string, unknown>): void => {
    out.sinks.get(sink)!.push(r);
  };
  /** Runs stateless stages on r; returns the record that comes out, or undefined when a filter dropped it (or it was dead-lettered). */
  const stateless = (stages: readonly StatelessStage[], r: Record<string, unknown>): Record<string, unknown> | undefined => {
    let cur: Record<string, unknown> | undefined = r;
    for (const st of stages) {
      const input: Record<string, unknown> = cur!;
      switch (st.op) {
        case 'filter': {
          let keep = false;
          if (!guard(input, () => { keep = Boolean((st.fn as (x: unknown) => unknown)(input)); })) return undefined;
          if (!keep) return undefined;
          break;
        }
        case 'map': {
          let next: unknown;
          if (!guard(input, () => {
            next = (st.fn as (x: unknown) => unknown)(input);
            if (next === null || typeof next !== 'object') throw new TypeError(`map returned ${next === null ? 'null' : typeof next}, not an object`);
          })) return undefined;
          cur = next as Record<string, unknown>;
          break;
        }
        case 'lookup': {
          const table = opts.tables?.get(tableName(st.table));
          if (table === undefined) throw new Error(`reference: no table ${tableName(st.table)} in opts.tables`);
          const v = input[st.on];
          const row = v === null || v === undefined ? undefined : table.get(String(v));
          cur = { ...input, [st.as]: row ?? null };
          break;
        }
        case 'to':
          write(st.sink, input);
          break;
      }
    }
    return cur;
  };
  const runs: BranchRun[] = plan.branches.map((branch) => ({ branch, partitions: new Map() }));
  const keyedOf = (b: BranchRun, partition: number): Keyed => {
    let k = b.partitions.get(partition);
    if (k !== undefined) return k;
    const emit = (o: Record<string, unknown>): void => {
      const r = stateless(b.branch.after, o);
      if (r !== undefined) write(DEFAULT_SINK, r);
    };
    const ks = b.branch.keyed!;
    k = ks.kind === 'window'
      ? new RefWindowPartition(ks.window, ks.aggs, bound, lateness, {
        emit,
        late: (record, watermark) => out.late.push({ ...record, reason: 'late', watermark }),
      })
      : new RefProcessPartition(ks.fn as unknown as ProcessFunction<unknown, Record<string, StateDecl>, unknown>, bound, emit, guard);
    b.partitions.set(partition, k);
    return k;
  };

  for (const source of records) {
    const p = project(source, plan.fields, plan.timeField, plan.key);
    if (!p.ok) {
      out.deadLetter.push({ reason: p.reason, detail: p.detail, record: source });
      continue;
    }
    let key: { key: string; keyOut: Record<string, unknown> };
    try {
      key = keyOf(source, p.record, plan.key);
    } catch (e) {
      // The main thread runs the key function: a throw dead-letters the record whatever onUserError says.
      out.deadLetter.push({ reason: 'user-function', detail: String(e), record: source });
      continue;
    }
    const partition = plan.key.kind === 'none' ? 0 : opts.partitionOf(key.key);
    if (!Number.isInteger(partition) || partition < 0 || partition >= opts.partitions) {
      throw new Error(`partitionOf(${JSON.stringify(key.key)}) returned ${partition}, expected an integer in [0, ${opts.partitions})`);
    }
    for (const b of runs) {
      // A copy per branch: a function that changes its record must not change what the next branch sees.
      const r = stateless(b.branch.before, { ...p.record });
      if (r === undefined) continue;
      if (b.branch.keyed === undefined) {
        write(DEFAULT_SINK, r);
        continue;
      }
      const k = keyedOf(b, partition);
      guard(r, () => k.onRecord({ key: key.key, keyOut: key.keyOut, record: r, ts: p.ts }));
    }
  }
  for (const b of runs) {
    for (const p of [...b.partitions.keys()].sort((x, y) => x - y)) b.partitions.get(p)!.onEnd();
  }
  return out;
}

/** An NDJSON table as RefPipelineOptions.tables holds it: key field value (as a string) → row, the last row of a key winning. */
export function tableFromLines(text: string, keyField: string): Map<string, unknown> {
  const m = new Map<string, unknown>();
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const row = JSON.parse(line) as Record<string, unknown>;
    m.set(String(row[keyField]), row);
  }
  return m;
}
