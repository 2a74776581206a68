// A job module's worker chain (--job) as one Operator: every branch of the
// job (src/operators/pipeline/branch-pipeline.ts: stateless stages, a keyed
// stage, stateless stages) over each record, and the sinks.
// It is the head and the only stateful operator of the worker's chain.
// Records arrive as row bodies (src/codec/row-layout.ts) read in place
// through one reused RowView per input; what the pipeline produces leaves
// as OUTPUT frames (JSON) on the worker's out-ring.
import { RowView } from '../../codec/row-view.js';
import { rowLayout } from '../../codec/row-layout.js';
import { OUT_DEAD_LETTER } from '../../codec/out-frames.js';
import { readSnapshot, type StoredSnapshot } from '../../checkpoint/snapshot.js';
import {
  P_LATE, P_MAX_EVENT_TIME, P_RESULTS, P_WATERMARK,
  W_KEYS, W_LATE, W_LOOKUP_RELOAD_ERRORS, W_OPEN_WINDOWS, W_PEAK_OPEN_WINDOWS, W_RESULTS_OUT, W_STATE_BYTES, W_WATERMARK,
} from '../../metrics/counters.js';
import { DEFAULT_SINK, type Branch, type JobPlan } from '../../job/plan.js';
import { KeyTable } from '../../state/key-table.js';
import type { TableSpec } from '../../job/lookup.js';
import { IN_BODY, IO_SLOTS, type CounterScope, type Operator, type OperatorTotals, type StateHandle } from '../operator.js';
import { LookupTable } from './lookup-table.js';
import { checkpointPath } from '../../checkpoint/manifest.js';
import { dirname, join } from 'node:path';
import { existsSync } from 'node:fs';
import type { OutputWriter } from './output-writer.js';
import { UserErrors } from './user-errors.js';
import { BranchPipeline, sectionBranch, type PipelineConfig } from './branch-pipeline.js';
import { readSections, SECTION_LOOKUP, SECTION_PROCESS, SECTION_WINDOW, writeSections, type Section } from './pipeline-snapshot.js';

export type { PipelineConfig } from './branch-pipeline.js';

export class PipelineOperator implements Operator {
  readonly name = 'pipeline';
  readonly io = new Float64Array(IO_SLOTS);
  readonly errors: UserErrors;
  /** Objects written to sinks (the worker's results). */
  outputs = 0;
  readonly branches: BranchPipeline[];
  /** One view for every input (at() points it at a ring per record), so its string caches serve all of them. */
  private readonly view: RowView;
  /** Per input: the ring memory the view is pointed at for it, as i32/f64 views. */
  private readonly boundU8: (Uint8Array | undefined)[];
  private readonly boundI32: Int32Array[];
  private readonly boundF64: Float64Array[];
  private currentView: RowView | undefined;
  private readonly tables = new Map<TableSpec<unknown>, LookupTable>();
  /** Tables a restore has set (by source), so later snapshot files do not set them again. */
  private readonly restoredTables = new Set<string>();
  /** The minimum over branches of their watermarks, per input (counters). */
  private readonly wmMin: Float64Array;
  /** The key table of the branches' keyed stages, when several share one (sharedKeys()): cleared per record. */
  private readonly keys: KeyTable | undefined;

  constructor(readonly plan: JobPlan, private readonly config: PipelineConfig, private readonly out: OutputWriter) {
    const n = config.partitions.length;
    const layout = rowLayout(plan.fields);
    this.view = new RowView(layout);
    this.boundU8 = new Array<Uint8Array | undefined>(n).fill(undefined);
    this.boundI32 = new Array<Int32Array>(n);
    this.boundF64 = new Array<Float64Array>(n);
    this.wmMin = new Float64Array(n).fill(-Infinity);
    const emit = (target: number, obj: object, time: number, ingest: number): void => this.emit(target, obj, time, ingest);
    this.errors = new UserErrors(config.onUserError, emit);
    const env = {
      io: this.io, defaultSink: plan.sinkNames.indexOf(DEFAULT_SINK),
      sinkNames: plan.sinkNames, emit, errors: this.errors, plain: (r: unknown) => this.plain(r),
      table: (spec: TableSpec<unknown>) => this.table(spec),
    };
    const shared = sharedKeys(plan.branches);
    this.keys = shared.table;
    this.branches = plan.branches.map((b, i) => new BranchPipeline(i, b, plan, config, env, shared.users[i] ? shared.table : undefined));
  }

  /** The first branch's window stage (tests, single-branch jobs). */
  get windowStage(): BranchPipeline['windowStage'] {
    return this.branches[0]?.windowStage;
  }

  get processStage(): BranchPipeline['processStage'] {
    return this.branches[0]?.processStage;
  }

  processRecord(input: number, hash: number, src: Uint8Array, keyStart: number, keyLen: number): void {
    const view = this.view;
    if (src !== this.boundU8[input]) this.bind(input, src);
    view.at(src, this.boundI32[input]!, this.boundF64[input]!, this.io[IN_BODY]!);
    this.currentView = view;
    if (this.keys !== undefined) this.keys.nextRecord();
    const branches = this.branches;
    for (let b = 0; b < branches.length; b++) branches[b]!.record(input, hash, src, keyStart, keyLen, view);
  }

  onWatermark(input: number, t: number): void {
    for (const b of this.branches) b.watermark(input, t);
  }

  onProcessingTime(now: number): void {
    for (const t of this.tables.values()) t.maybeReload(now);
    for (const b of this.branches) b.processingTime(now);
  }

  endOfBatch(input: number, c: CounterScope): void {
    const pb = c.partition[input]!;
    c.f64[pb + P_WATERMARK] = this.watermarks()[input]!;
    let max = -Infinity;
    for (const b of this.branches) max = Math.max(max, b.maxEventTimes()[input]!);
    c.f64[pb + P_MAX_EVENT_TIME] = max;
  }

  /**
   * At checkpoint `id`'s barrier (once, or once per partition with
   * --changelog). Lookup tables switch to a change seen since the last
   * barrier first, so the versions recorded, and copied into the checkpoint,
   * are the ones every record after the barrier is enriched by.
   */
  snapshotState(id: number, partition?: number): Uint8Array {
    const sections: Section[] = [];
    const layout = partition === undefined ? this.config.layout : { ...this.config.layout, only: partition };
    for (const b of this.branches) b.snapshot(layout, sections);
    if (this.tables.size > 0) {
      const dir = this.config.checkpointDir;
      const versions: StoredTable[] = [...this.tables].map(([spec, t]) => {
        t.switchPending();
        return { source: spec.source, version: t.version, file: dir === undefined ? null : t.pin(checkpointPath(dir, id)) };
      });
      sections.push({ kind: SECTION_LOOKUP, bytes: new TextEncoder().encode(JSON.stringify(versions)) });
    }
    return writeSections(sections);
  }

  restoreState(files: readonly StateHandle[]): void {
    const windows: StoredSnapshot[][] = this.branches.map(() => []);
    const processes: Uint8Array[][] = this.branches.map(() => []);
    for (const f of files) {
      const bytes = f.read();
      if (bytes.length === 0) continue;
      for (const s of readSections(bytes, f.where)) {
        const { branch, kind } = sectionBranch(s.kind);
        if (kind === SECTION_LOOKUP) {
          this.restoreTables(s.bytes, f.where);
          continue;
        }
        if (branch >= this.branches.length) continue;
        if (kind === SECTION_WINDOW) windows[branch]!.push(readSnapshot(s.bytes, f.where));
        else if (kind === SECTION_PROCESS) processes[branch]!.push(s.bytes);
      }
    }
    this.branches.forEach((b, i) => b.restore(windows[i]!, processes[i]!, this.config.layout));
  }

  publishCounters(c: CounterScope): void {
    const cf = c.f64;
    if (c.stage !== undefined) {
      let at = c.stage;
      for (const b of this.branches) {
        b.publishStages(cf, at);
        at += b.stageCount;
      }
    }
    const wm = this.watermarks();
    let late = 0;
    let keys = 0;
    let open = 0;
    let peak = 0;
    let bytes = 0;
    for (const b of this.branches) {
      const w = b.windowStage?.window;
      keys = Math.max(keys, b.keys);
      if (w === undefined) continue;
      late += w.lateRecords;
      open += w.slots.live;
      peak += w.slots.peakLive;
      bytes += w.stateBytes();
    }
    for (let i = 0; i < c.partition.length; i++) {
      const pb = c.partition[i]!;
      cf[pb + P_WATERMARK] = wm[i]!;
      let pLate = 0;
      let pResults = 0;
      for (const b of this.branches) {
        const w = b.windowStage?.window;
        pLate += w !== undefined ? w.lateByPartition[i]! : 0;
        pResults += w !== undefined ? w.firingsByPartition[i]! : b.outputsByPartition[i]!;
      }
      cf[pb + P_LATE] = pLate;
      cf[pb + P_RESULTS] = pResults;
    }
    const wb = c.worker;
    let min = Infinity;
    for (let i = 0; i < wm.length; i++) if (wm[i]! < min) min = wm[i]!;
    cf[wb + W_RESULTS_OUT] = this.outputs;
    cf[wb + W_LATE] = late;
    cf[wb + W_WATERMARK] = min;
    cf[wb + W_KEYS] = keys;
    cf[wb + W_OPEN_WINDOWS] = open;
    cf[wb + W_PEAK_OPEN_WINDOWS] = peak;
    cf[wb + W_STATE_BYTES] = bytes;
    let reloadErrors = 0;
    for (const t of this.tables.values()) reloadErrors += t.reloadErrors;
    cf[wb + W_LOOKUP_RELOAD_ERRORS] = reloadErrors;
  }

  close(): OperatorTotals {
    let late = 0;
    let keys = 0;
    for (const b of this.branches) {
      b.close();
      late += b.windowStage?.window.lateRecords ?? 0;
      keys = Math.max(keys, b.keys);
    }
    return { results: this.outputs, late, keys };
  }

  // ─────────────────────────────────────────────────────────────────────────

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
        this.errors.handle({ op: 'an output', where: this.plan.module }, e, String(obj), time, ingest);
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

  /** Per input: the lowest watermark of the branches (one branch: its own array). */
  private watermarks(): Float64Array {
    const bs = this.branches;
    if (bs.length === 1) return bs[0]!.watermarks();
    const m = this.wmMin;
    m.fill(Infinity);
    for (const b of bs) {
      const w = b.watermarks();
      for (let i = 0; i < m.length; i++) if (w[i]! < m[i]!) m[i] = w[i]!;
    }
    return m;
  }

  private bind(input: number, u8: Uint8Array): void {
    this.boundU8[input] = u8;
    this.boundI32[input] = new Int32Array(u8.buffer, u8.byteOffset, u8.byteLength >> 2);
    this.boundF64[input] = new Float64Array(u8.buffer, u8.byteOffset, u8.byteLength >> 3);
  }

  private table(spec: TableSpec<unknown>): LookupTable {
    let t = this.tables.get(spec);
    if (t === undefined) {
      t = (this.config.makeTable ?? ((sp, files) => new LookupTable(sp, files, this.config.tableDir)))(spec, this.config.tables ?? {});
      if (this.config.checkpointDir !== undefined) t.switchAtCheckpoints();
      this.tables.set(spec, t);
    }
    return t;
  }

  /**
   * A snapshot's table versions (`where`: its file): each table goes back to
   * the version the checkpoint recorded, from the copy beside the file. The
   * first file naming a table decides (workers switch at the same barriers,
   * so they recorded the same version unless a change reached them between
   * their reload checks). Without the copy (a changelog or rewind restore)
   * the table stays as it is now, and the reload error says so.
   */
  private restoreTables(bytes: Uint8Array, where: string): void {
    const stored = JSON.parse(new TextDecoder().decode(bytes)) as StoredTable[];
    for (const s of stored) {
      const key = JSON.stringify(s.source);
      if (this.restoredTables.has(key)) continue;
      const t = [...this.tables].find(([spec]) => JSON.stringify(spec.source) === key)?.[1];
      if (t === undefined || s.file === undefined || s.file === null) continue;
      this.restoredTables.add(key);
      const copy = join(dirname(where), s.file);
      if (existsSync(copy)) t.adopt(s.version, copy);
      else if (s.version !== t.version) t.missingCopy(s.version, copy);
    }
  }
}

/** A table's entry in a snapshot's SECTION_LOOKUP: its source, version, and the name of the checkpoint's copy (null without checkpoints; absent in snapshots of earlier Sabres). */
interface StoredTable { source: TableSpec<unknown>['source']; version: string; file?: string | null }

/**
 * One key table for a job's keyed stages, when more than one would look the
 * same key up per record (the branches of a job share its key, plan.ts): the
 * process stages, and the first window stage (a window operator keeps its
 * window lists in the table's buckets, so a second one keeps a table of its
 * own). The first stage to look a record's key up finds it for the others.
 */
function sharedKeys(branches: readonly Branch[]): { table: KeyTable | undefined; users: boolean[] } {
  let window = false;
  const users = branches.map((b) => {
    if (b.keyed?.kind === 'process') return true;
    if (b.keyed?.kind !== 'window' || window) return false;
    window = true;
    return true;
  });
  if (users.filter(Boolean).length < 2) return { table: undefined, users };
  const table = new KeyTable();
  table.sharedByStages = true;
  return { table, users };
}
