// A job module's worker chain (--job) as one Operator: the stateless stages
// before the keyed stage, the keyed stage (windows with aggregates, or a
// keyed process function), the stateless stages after it, and the sinks.
// It is the head and the only stateful operator of the worker's chain.
// Records arrive as row bodies (src/codec/row-layout.ts) read in place
// through one reused RowView per input; what the pipeline produces leaves
// as OUTPUT frames (JSON) on the worker's out-ring.
import { RowView } from '../../codec/row-view.js';
import { rowLayout } from '../../codec/row-layout.js';
import { OUT_DEAD_LETTER } from '../../codec/out-frames.js';
import { readSnapshot, restoreSnapshots, writeSnapshot, type SnapshotLayout, type StoredSnapshot } from '../../checkpoint/snapshot.js';
import {
  P_LATE, P_MAX_EVENT_TIME, P_RESULTS, P_WATERMARK,
  W_KEYS, W_LATE, W_OPEN_WINDOWS, W_PEAK_OPEN_WINDOWS, W_RESULTS_OUT, W_STATE_BYTES, W_WATERMARK,
} from '../../metrics/counters.js';
import { DEFAULT_SINK, type JobPlan } from '../../job/plan.js';
import type { AggSpec } from '../../job/aggregates.js';
import type { TableSpec } from '../../job/lookup.js';
import { IN_BODY, IN_INGEST, IN_TS, IN_VALUE, IO_SLOTS, type CounterScope, type Operator, type OperatorTotals, type StateHandle } from '../operator.js';
import { AggregateSet } from './aggregate-set.js';
import { ProcessStage } from './process-stage.js';
import type { ProcessFunction } from '../../job/process.js';
import { LookupTable } from './lookup-table.js';
import { keyFieldsOf } from './key-fields.js';
import type { OutputWriter } from './output-writer.js';
import { StatelessStages } from './stateless-stages.js';
import { UserErrors, type StageRef, type UserErrorPolicy } from './user-errors.js';
import { WindowStage, type RecordAggregate } from './window-stage.js';
import { readSections, SECTION_LOOKUP, SECTION_PROCESS, SECTION_WINDOW, writeSections, type Section } from './pipeline-snapshot.js';

type ProcessStageOptions = ConstructorParameters<typeof ProcessStage>[1];

export interface PipelineConfig {
  /** Global partition ids of the worker's inputs (input i is partitions[i]). */
  readonly partitions: number[];
  readonly outOfOrderness: number;
  readonly allowedLateness: number;
  readonly watermarkFromRecords: boolean;
  /** --early-fire is on: a processing-time tick fires updated windows early. */
  readonly earlyFire: boolean;
  readonly onUserError: UserErrorPolicy;
  /** How this worker's state maps to key groups (snapshots are stored by key group). */
  readonly layout: SnapshotLayout;
  /** Lookup tables read from Kafka: topic → the file the main thread keeps. */
  readonly tables?: Record<string, string> | undefined;
  /** The aggregate set of a window stage (default: AggregateSet); tests give their own. */
  readonly makeAggregates?: ((aggs: Readonly<Record<string, AggSpec>>) => RecordAggregate) | undefined;
  /** A lookup table (default: LookupTable); tests give their own. */
  readonly makeTable?: ((spec: TableSpec<unknown>, files: Record<string, string>) => LookupTable) | undefined;
  /** A process stage (default: ProcessStage); tests give their own. */
  readonly makeProcess?: ((fn: ProcessFunction<never, unknown, unknown>, opts: ProcessStageOptions) => ProcessStage) | undefined;
}

export class PipelineOperator implements Operator {
  readonly name = 'pipeline';
  readonly io = new Float64Array(IO_SLOTS);
  readonly errors: UserErrors;
  /** Objects written to sinks (the worker's results). */
  outputs = 0;
  readonly windowStage: WindowStage | undefined;
  readonly processStage: ProcessStage | undefined;
  private readonly views: RowView[];
  /** Per input: the ring memory its view was last bound to, as i32/f64 views. */
  private readonly boundU8: (Uint8Array | undefined)[];
  private readonly boundI32: Int32Array[];
  private readonly boundF64: Float64Array[];
  private currentView: RowView | undefined;
  private current: unknown = undefined;
  private readonly before: StatelessStages;
  private readonly after: StatelessStages;
  private readonly defaultSink: number;
  private readonly keyedRef: StageRef;
  /** Without a keyed stage: per input, the watermark and largest event time (counters only). */
  private readonly wm: Float64Array;
  private readonly maxTs: Float64Array;
  private readonly outputsByPartition: Float64Array;
  private readonly tables = new Map<TableSpec<unknown>, LookupTable>();

  constructor(readonly plan: JobPlan, private readonly config: PipelineConfig, private readonly out: OutputWriter) {
    const n = config.partitions.length;
    const layout = rowLayout(plan.fields);
    this.views = Array.from({ length: n }, () => new RowView(layout));
    this.boundU8 = new Array<Uint8Array | undefined>(n).fill(undefined);
    this.boundI32 = new Array<Int32Array>(n);
    this.boundF64 = new Array<Float64Array>(n);
    this.wm = new Float64Array(n).fill(-Infinity);
    this.maxTs = new Float64Array(n).fill(-Infinity);
    this.outputsByPartition = new Float64Array(n);
    this.defaultSink = plan.sinkNames.indexOf(DEFAULT_SINK);
    const emit = (target: number, obj: object, time: number, ingest: number): void => this.emit(target, obj, time, ingest);
    this.errors = new UserErrors(config.onUserError, emit);
    const env = {
      sinkNames: plan.sinkNames, emit, errors: this.errors, plain: (r: unknown) => this.plain(r),
      table: (spec: TableSpec<unknown>) => this.table(spec),
    };
    this.before = new StatelessStages(plan.before, env);
    this.after = new StatelessStages(plan.after, env);
    const keyed = plan.keyed;
    this.keyedRef = { op: keyed?.kind === 'window' ? 'aggregate' : 'process', where: keyed?.where ?? plan.module };
    const keyFields = keyFieldsOf(plan);
    const onResult = (r: Record<string, unknown>, time: number, ingest: number): void => this.keyedOutput(r, time, ingest);
    if (keyed?.kind === 'window') {
      this.windowStage = new WindowStage({
        window: keyed.window, outOfOrderness: config.outOfOrderness, allowedLateness: config.allowedLateness,
        partitions: config.partitions, watermarkFromRecords: config.watermarkFromRecords,
        // Always on: it also keeps each window's newest ingest time, which outputs carry for latency.
        earlyFiring: true,
      }, keyed.aggs, this.keyedRef, config.makeAggregates ?? ((aggs) => new AggregateSet(aggs)), {
        keyFields, errors: this.errors, emit, onResult, current: () => this.plain(this.current),
      });
    } else if (keyed?.kind === 'process') {
      this.processStage = (config.makeProcess ?? ((fn, o) => new ProcessStage(fn, o)))(keyed.fn, {
        partitions: config.partitions, outOfOrderness: config.outOfOrderness, watermarkFromRecords: config.watermarkFromRecords,
        io: this.io, keyFields, emit: (o, t) => onResult(o as Record<string, unknown>, t, this.io[IN_INGEST]!),
      });
    }
  }

  processRecord(input: number, hash: number, src: Uint8Array, keyStart: number, keyLen: number): void {
    const io = this.io;
    const view = this.views[input]!;
    if (src !== this.boundU8[input]) this.bind(input, src);
    view.at(src, this.boundI32[input]!, this.boundF64[input]!, io[IN_BODY]!);
    this.currentView = view;
    const ts = io[IN_TS]!;
    const ingest = io[IN_INGEST]!;
    let rec: unknown = view.record;
    if (!this.before.empty) {
      rec = this.before.run(rec, ts, ingest);
      if (rec === undefined) return;
    }
    this.current = rec;
    const ws = this.windowStage;
    if (ws !== undefined) {
      const agg = ws.aggregates;
      agg.record = ws.keepsRecords ? this.plain(rec) : rec;
      agg.io[0] = ts;
      io[IN_VALUE] = 0;
      const w = ws.window;
      w.io[IN_TS] = ts;
      w.io[IN_VALUE] = 0;
      w.io[IN_INGEST] = ingest;
      try {
        w.record(input, hash, src, keyStart, keyLen);
      } catch (e) {
        this.errors.handle(this.keyedRef, e, this.plain(rec), ts, ingest);
      }
      agg.record = undefined;
      return;
    }
    const ps = this.processStage;
    if (ps !== undefined) {
      try {
        // A copy: process state may keep the records it is given.
        ps.record(input, hash, src, keyStart, keyLen, this.plain(rec));
      } catch (e) {
        this.errors.handle(this.keyedRef, e, this.plain(rec), ts, ingest);
      }
      return;
    }
    if (ts > this.maxTs[input]!) {
      this.maxTs[input] = ts;
      if (this.config.watermarkFromRecords && ts - this.config.outOfOrderness > this.wm[input]!) this.wm[input] = ts - this.config.outOfOrderness;
    }
    this.outputsByPartition[input]!++;
    this.emit(this.defaultSink, this.plain(rec), ts, ingest);
  }

  onWatermark(input: number, t: number): void {
    if (this.windowStage !== undefined) {
      this.windowStage.window.watermark(input, t);
    } else if (this.processStage !== undefined) {
      try {
        this.processStage.watermark(input, t);
      } catch (e) {
        this.errors.handle({ op: 'process onTimer', where: this.keyedRef.where }, e, null, t, 0);
      }
    } else if (t > this.wm[input]!) {
      this.wm[input] = t;
    }
  }

  onProcessingTime(now: number): void {
    for (const t of this.tables.values()) t.maybeReload(now);
    if (this.processStage !== undefined) {
      try {
        this.processStage.processingTime(now);
      } catch (e) {
        this.errors.handle({ op: 'process onTimer', where: this.keyedRef.where }, e, null, now, 0);
      }
    }
    if (this.config.earlyFire) this.windowStage?.window.fireEarly();
  }

  endOfBatch(input: number, c: CounterScope): void {
    const pb = c.partition[input]!;
    c.f64[pb + P_WATERMARK] = this.watermarks()[input]!;
    c.f64[pb + P_MAX_EVENT_TIME] = this.windowStage?.window.maxTs[input] ?? this.maxTs[input]!;
  }

  snapshotState(): Uint8Array {
    const sections: Section[] = [];
    const layout = this.config.layout;
    if (this.windowStage !== undefined) sections.push({ kind: SECTION_WINDOW, bytes: writeSnapshot(this.windowStage.window, layout) });
    if (this.processStage !== undefined) sections.push({ kind: SECTION_PROCESS, bytes: this.processStage.snapshot(layout) });
    if (this.tables.size > 0) {
      const versions = [...this.tables].map(([spec, t]) => ({ source: spec.source, version: t.version }));
      sections.push({ kind: SECTION_LOOKUP, bytes: new TextEncoder().encode(JSON.stringify(versions)) });
    }
    return writeSections(sections);
  }

  restoreState(files: readonly StateHandle[]): void {
    const windows: StoredSnapshot[] = [];
    const processes: Uint8Array[] = [];
    for (const f of files) {
      const bytes = f.read();
      if (bytes.length === 0) continue;
      for (const s of readSections(bytes, f.where)) {
        if (s.kind === SECTION_WINDOW) windows.push(readSnapshot(s.bytes, f.where));
        else if (s.kind === SECTION_PROCESS) processes.push(s.bytes);
        // SECTION_LOOKUP: tables reload from their sources; the versions are kept for inspection.
      }
    }
    if (this.windowStage !== undefined) restoreSnapshots(this.windowStage.window, windows, this.config.layout);
    if (this.processStage !== undefined) this.processStage.restore(processes, this.config.layout);
  }

  publishCounters(c: CounterScope): void {
    const cf = c.f64;
    const w = this.windowStage?.window;
    const wm = this.watermarks();
    for (let i = 0; i < c.partition.length; i++) {
      const pb = c.partition[i]!;
      cf[pb + P_WATERMARK] = wm[i]!;
      cf[pb + P_LATE] = w !== undefined ? w.lateByPartition[i]! : 0;
      cf[pb + P_RESULTS] = w !== undefined ? w.firingsByPartition[i]! : this.outputsByPartition[i]!;
    }
    const wb = c.worker;
    let min = Infinity;
    for (let i = 0; i < wm.length; i++) if (wm[i]! < min) min = wm[i]!;
    cf[wb + W_RESULTS_OUT] = this.outputs;
    cf[wb + W_LATE] = w?.lateRecords ?? 0;
    cf[wb + W_WATERMARK] = min;
    cf[wb + W_KEYS] = w?.keys.size ?? this.processStage?.keys ?? 0;
    if (w !== undefined) {
      cf[wb + W_OPEN_WINDOWS] = w.slots.live;
      cf[wb + W_PEAK_OPEN_WINDOWS] = w.slots.peakLive;
      cf[wb + W_STATE_BYTES] = w.stateBytes();
    }
  }

  close(): OperatorTotals {
    this.processStage?.close();
    const w = this.windowStage?.window;
    return { results: this.outputs, late: w?.lateRecords ?? 0, keys: w?.keys.size ?? this.processStage?.keys ?? 0 };
  }

  // ─────────────────────────────────────────────────────────────────────────

  /** A keyed stage's output: the after-stages, then the default sink. */
  private keyedOutput(r: Record<string, unknown>, time: number, ingest: number): void {
    const out = this.after.empty ? r : this.after.run(r, time, ingest);
    if (out !== undefined) this.emit(this.defaultSink, this.plain(out), time, ingest);
  }

  private emit(target: number, obj: object, time: number, ingest: number): void {
    let json: string;
    try {
      json = JSON.stringify(obj);
    } catch (e) {
      if (target === OUT_DEAD_LETTER) {
        // The record itself has no JSON form (a BigInt, a cycle): keep the reason, drop the record.
        const d = obj as { reason: string; detail: string };
        json = JSON.stringify({ reason: d.reason, detail: `${d.detail}; the record has no JSON form: ${(e as Error).message}`, record: null });
      } else {
        this.errors.handle({ op: 'an output', where: this.keyedRef.where }, e, String(obj), time, ingest);
        return;
      }
    }
    this.out.output(target, time, ingest, json);
    if (target >= 0) this.outputs++;
  }

  /** `rec` as a plain object that outlives the current record (a copy of the current view's record). */
  private plain(rec: unknown): object {
    const v = this.currentView;
    return v !== undefined && rec === v.record ? v.toObject() : (rec as object);
  }

  private watermarks(): Float64Array {
    return this.windowStage?.window.wm ?? this.processStage?.wm ?? this.wm;
  }

  private bind(input: number, u8: Uint8Array): void {
    this.boundU8[input] = u8;
    this.boundI32[input] = new Int32Array(u8.buffer, u8.byteOffset, u8.byteLength >> 2);
    this.boundF64[input] = new Float64Array(u8.buffer, u8.byteOffset, u8.byteLength >> 3);
  }

  private table(spec: TableSpec<unknown>): LookupTable {
    let t = this.tables.get(spec);
    if (t === undefined) {
      t = (this.config.makeTable ?? ((sp, files) => new LookupTable(sp, files)))(spec, this.config.tables ?? {});
      this.tables.set(spec, t);
    }
    return t;
  }
}
