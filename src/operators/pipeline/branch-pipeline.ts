// One pipeline (branch) of a job: its stateless stages before the keyed
// stage, the keyed stage (windows with aggregates, or a keyed process
// function) and the stateless stages after it. A job module may export
// several branches over one source and key (src/job/plan.ts); the
// PipelineOperator hands every record to each branch in turn.
import type { Branch, JobPlan } from '../../job/plan.js';
import type { AggSpec } from '../../job/aggregates.js';
import type { ProcessFunction } from '../../job/process.js';
import type { SnapshotLayout, StoredSnapshot } from '../../checkpoint/snapshot.js';
import { restoreSnapshots, writeSnapshot } from '../../checkpoint/snapshot.js';
import { IN_INGEST, IN_TS, IN_VALUE } from '../operator.js';
import { AggregateSet } from './aggregate-set.js';
import { rowLayout } from '../../codec/row-layout.js';
import type { RowView } from '../../codec/row-view.js';
import { ProcessStage, type ProcessStageOptions } from './process-stage.js';
import { keyFieldsOf } from './key-fields.js';
import { StatelessStages, type StageEnv } from './stateless-stages.js';
import type { StageRef, UserErrorPolicy } from './user-errors.js';
import { WindowStage, type RecordAggregate } from './window-stage.js';
import type { LookupTable } from './lookup-table.js';
import type { TableSpec } from '../../job/lookup.js';
import { SECTION_PROCESS, SECTION_WINDOW, type Section } from './pipeline-snapshot.js';
import { recordMayEscape } from './record-escape.js';
import type { KeyTable } from '../../state/key-table.js';

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
  /** Where relative lookup table paths are (the job file's directory; default the working directory). */
  readonly tableDir?: string | undefined;
  /**
   * --checkpoint-dir: lookup tables change only at checkpoint barriers, and
   * each checkpoint keeps a copy of the versions in use (LookupTable.pin).
   */
  readonly checkpointDir?: string | undefined;
  /** The aggregate set of a window stage (default: AggregateSet); tests give their own. */
  readonly makeAggregates?: ((aggs: Readonly<Record<string, AggSpec>>) => RecordAggregate) | undefined;
  /** A lookup table (default: LookupTable); tests give their own. */
  readonly makeTable?: ((spec: TableSpec<unknown>, files: Record<string, string>) => LookupTable) | undefined;
  /** A process stage (default: ProcessStage); tests give their own. */
  readonly makeProcess?: ((fn: ProcessFunction<never, unknown, unknown>, opts: ProcessStageOptions) => ProcessStage) | undefined;
}

/** What a branch shares with the operator: the record slots, outputs, errors, copies and tables. */
export interface BranchEnv extends StageEnv {
  readonly io: Float64Array;
  readonly defaultSink: number;
}

/** Section kinds carry the branch index above the low byte, so each branch restores its own state. */
const BRANCH_SHIFT = 8;

export class BranchPipeline {
  readonly windowStage: WindowStage | undefined;
  readonly processStage: ProcessStage | undefined;
  /** Without a keyed stage: per input, the watermark and largest event time (counters), and outputs. */
  private readonly wm: Float64Array;
  private readonly maxTs: Float64Array;
  readonly outputsByPartition: Float64Array;
  private readonly before: StatelessStages;
  private readonly after: StatelessStages;
  private readonly keyedRef: StageRef;
  /** The process function may keep its record (record-escape.ts): it gets a copy, else the view's record itself. */
  private readonly processCopies: boolean = true;
  private current: unknown = undefined;
  /** Outputs of the keyed stage (window results, process outputs) since the counts were last published. */
  private keyedOut = 0;

  /** `keys`: the key table this branch's keyed stage shares with other branches' (PipelineOperator), if it does. */
  constructor(readonly index: number, branch: Branch, plan: JobPlan, private readonly config: PipelineConfig, private readonly env: BranchEnv,
    keys?: KeyTable) {
    const n = config.partitions.length;
    this.wm = new Float64Array(n).fill(-Infinity);
    this.maxTs = new Float64Array(n).fill(-Infinity);
    this.outputsByPartition = new Float64Array(n);
    this.before = new StatelessStages(branch.before, env);
    this.after = new StatelessStages(branch.after, env);
    const keyed = branch.keyed;
    this.keyedRef = { op: keyed?.kind === 'window' ? 'aggregate' : 'process', where: keyed?.where ?? plan.module };
    const keyFields = keyFieldsOf(plan);
    const rows = rowLayout(plan.fields);
    const onResult = (r: Record<string, unknown>, time: number, ingest: number): void => this.keyedOutput(r, time, ingest);
    if (keyed?.kind === 'window') {
      const w = keyed.window;
      // Exact distinct counts kept per pane: the operator does so for a sliding window whose size is a multiple of its slide.
      const panes = w.kind === 'sliding' && w.size % w.slide === 0;
      this.windowStage = new WindowStage({
        window: keyed.window, outOfOrderness: config.outOfOrderness, allowedLateness: config.allowedLateness,
        partitions: config.partitions, watermarkFromRecords: config.watermarkFromRecords,
        // Always on: it also keeps each window's newest ingest time, which outputs carry for latency.
        earlyFiring: true, keys,
      }, keyed.aggs, this.keyedRef, config.makeAggregates ?? ((aggs) => new AggregateSet(aggs, rows, { panes })), {
        keyFields, errors: env.errors, emit: env.emit, onResult, current: () => env.plain(this.current),
      });
    } else if (keyed?.kind === 'process') {
      const io = env.io;
      this.processCopies = recordMayEscape(keyed.fn.onRecord);
      this.processStage = (config.makeProcess ?? ((fn, o) => new ProcessStage(fn, o)))(keyed.fn, {
        partitions: config.partitions, outOfOrderness: config.outOfOrderness, watermarkFromRecords: config.watermarkFromRecords, keys,
        io, emit: (o, t) => onResult(o as Record<string, unknown>, t, io[IN_INGEST]!),
      });
    }
  }

  /** One record (the view's record, event time io[IN_TS]) of input `input`. */
  record(input: number, hash: number, src: Uint8Array, keyStart: number, keyLen: number, view: RowView): void {
    let rec: unknown = view.record;
    const env = this.env;
    const io = env.io;
    const ts = io[IN_TS]!;
    const ingest = io[IN_INGEST]!;
    if (!this.before.empty) {
      rec = this.before.run(rec, ts, ingest);
      if (rec === undefined) return;
    }
    this.current = rec;
    const ws = this.windowStage;
    if (ws !== undefined) {
      const agg = ws.aggregates;
      const inPlace = !ws.copiesRecords && rec === view.record;
      agg.record = inPlace ? rec : env.plain(rec);
      agg.row = inPlace ? view : null;
      agg.io[0] = ts;
      const w = ws.window;
      w.io[IN_TS] = ts;
      w.io[IN_VALUE] = 0;
      w.io[IN_INGEST] = ingest;
      try {
        if (agg.prepare !== undefined) agg.prepare();
        w.record(input, hash, src, keyStart, keyLen);
      } catch (e) {
        env.errors.handle(this.keyedRef, e, env.plain(rec), ts, ingest);
      }
      agg.record = undefined;
      agg.row = null;
      return;
    }
    const ps = this.processStage;
    if (ps !== undefined) {
      try {
        // A copy when the function may keep the record (in its state, say); one that only reads fields gets the view.
        ps.record(input, hash, src, keyStart, keyLen, this.processCopies ? env.plain(rec) : rec);
      } catch (e) {
        env.errors.handle(this.keyedRef, e, env.plain(rec), ts, ingest);
      }
      return;
    }
    if (ts > this.maxTs[input]!) {
      this.maxTs[input] = ts;
      if (this.config.watermarkFromRecords && ts - this.config.outOfOrderness > this.wm[input]!) this.wm[input] = ts - this.config.outOfOrderness;
    }
    this.outputsByPartition[input]!++;
    env.emit(env.defaultSink, env.plain(rec), ts, ingest);
  }

  watermark(input: number, t: number): void {
    if (this.windowStage !== undefined) {
      this.windowStage.window.watermark(input, t);
    } else if (this.processStage !== undefined) {
      try {
        this.processStage.watermark(input, t);
      } catch (e) {
        this.env.errors.handle({ op: 'process onTimer', where: this.keyedRef.where }, e, null, t, 0);
      }
    } else if (t > this.wm[input]!) {
      this.wm[input] = t;
    }
  }

  processingTime(now: number): void {
    if (this.processStage !== undefined) {
      try {
        this.processStage.processingTime(now);
      } catch (e) {
        this.env.errors.handle({ op: 'process onTimer', where: this.keyedRef.where }, e, null, now, 0);
      }
    }
    if (this.config.earlyFire) this.windowStage?.window.fireEarly();
  }

  watermarks(): Float64Array {
    return this.windowStage?.window.wm ?? this.processStage?.wm ?? this.wm;
  }

  maxEventTimes(): Float64Array {
    return this.windowStage?.window.maxTs ?? this.processStage?.maxTs ?? this.maxTs;
  }

  get keys(): number {
    return this.windowStage?.window.keys.size ?? this.processStage?.keys ?? 0;
  }

  /** This branch's snapshot sections. */
  snapshot(layout: SnapshotLayout, out: Section[]): void {
    const tag = this.index << BRANCH_SHIFT;
    if (this.windowStage !== undefined) out.push({ kind: tag | SECTION_WINDOW, bytes: writeSnapshot(this.windowStage.window, layout) });
    if (this.processStage !== undefined) out.push({ kind: tag | SECTION_PROCESS, bytes: this.processStage.snapshot(layout) });
  }

  /** Restore from this branch's sections of every file (windows already parsed). */
  restore(windows: StoredSnapshot[], processes: Uint8Array[], layout: SnapshotLayout): void {
    if (this.windowStage !== undefined) restoreSnapshots(this.windowStage.window, windows, layout);
    if (this.processStage !== undefined) this.processStage.restore(processes, layout);
  }

  close(): void {
    this.processStage?.close();
  }

  /** 1 with a keyed stage (a window or a process function), else 0: its slot between the stages before and after it. */
  private get keyedStages(): number {
    return this.windowStage !== undefined || this.processStage !== undefined ? 1 : 0;
  }

  /** Stage slots this branch counts into (describe.ts stageLabels): its stages before the keyed one, the keyed one, after. */
  get stageCount(): number {
    return this.before.length + this.keyedStages + this.after.length;
  }

  /** Add the stages' counts since the last call to cf[at …] (this branch's first stage slot), in stageLabels order. */
  publishStages(cf: Float64Array, at: number): void {
    this.before.publish(cf, at);
    let next = at + this.before.length;
    if (this.keyedStages === 1) {
      cf[next++]! += this.keyedOut;
      this.keyedOut = 0;
    }
    this.after.publish(cf, next);
  }

  /** A keyed stage's output: the after-stages, then the default sink. */
  private keyedOutput(r: Record<string, unknown>, time: number, ingest: number): void {
    this.keyedOut++;
    const out = this.after.empty ? r : this.after.run(r, time, ingest);
    if (out !== undefined) this.env.emit(this.env.defaultSink, this.env.plain(out), time, ingest);
  }
}

/** The branch a section kind belongs to, and its kind without the branch. */
export function sectionBranch(kind: number): { branch: number; kind: number } {
  return { branch: kind >>> BRANCH_SHIFT, kind: kind & ((1 << BRANCH_SHIFT) - 1) };
}
