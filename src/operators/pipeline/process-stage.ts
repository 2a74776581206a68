// Runs a keyed process function (src/job/process.ts; compare Flink's
// KeyedProcessFunction) over a worker's partitions: per-key state and
// event/processing-time timers, snapshotted by key group.
//
// Invariants: wm[pi] never decreases; when a call returns normally, every
// event-time timer of partition pi at or before wm[pi] has fired (a timer
// registered for a past time fires before the call returns). A user function
// that throws leaves the stage consistent: its timers not yet fired stay
// queued and fire at the end of the partition's next record or watermark;
// a record whose onRecord threw does not move maxTs or the watermark (the
// caller fails the run or dead-letters it, as a late record moves nothing).
import type { ProcessContext, ProcessFunction, StateDecl } from '../../job/process.js';
import { B_ID1, B_STRIDE, KeyTable } from '../../state/key-table.js';
import { IN_TS } from '../../state/record-io.js';
import type { SnapshotLayout } from '../../checkpoint/snapshot.js';
import { toPositive } from '../../partition/murmur2.js';
import { SabreError } from '../../errors.js';
import { KeyedState, StateDecls } from './keyed-state.js';
import { KeyTimers, TimerHeap, popDue, type KeyTimerSet, type TimerOwner } from './process-timers.js';
import { ProcessSnapshotWriter, readProcessSection, type StoredProcessSection } from './process-snapshot.js';

export interface ProcessStageOptions {
  /** Global partition ids; record() and watermark() take local indexes into this. */
  partitions: number[];
  /** Watermark = max event time − this bound, per partition, when watermarkFromRecords. */
  outOfOrderness: number;
  /** false: only watermark() moves the watermark. */
  watermarkFromRecords: boolean;
  /** io[IN_TS] holds the record's event time. */
  io: Float64Array;
  emit: (out: object, eventTime: number) => void;
  /** The key's string (ctx.key), decoded once per key; default UTF-8. */
  keyString?: (src: Uint8Array, keyStart: number, keyLen: number) => string;
  /** The key table, when the stage shares it with other keyed stages of a job (KeyTable.sharedByStages); default its own. */
  keys?: KeyTable | undefined;
}

/** One key: its string, partition, state and timers. */
class KeyEntry implements TimerOwner {
  event: KeyTimerSet | null = null;
  proc: KeyTimerSet | null = null;
  lastEvent = NaN;
  constructor(readonly id: number, readonly key: string, readonly pi: number, readonly state: KeyedState) {}
}

/** The ctx handed to onRecord/onTimer: one per stage, re-pointed at the key before each call. */
class StageContext implements ProcessContext<unknown, unknown> {
  key = '';
  timestamp = 0;
  watermark = -Infinity;
  state: never = undefined as never;
  readonly emit: (out: unknown) => void;

  constructor(readonly timers: KeyTimers, emit: (out: object, eventTime: number) => void) {
    this.emit = (out: unknown): void => {
      if (typeof out !== 'object' || out === null) {
        throw new SabreError('ERR_USER_FUNCTION', `ctx.emit(${String(out)}) of key ${JSON.stringify(this.key)}: a process function emits objects`);
      }
      emit(out, this.timestamp);
    };
  }

  enter(e: KeyEntry, timestamp: number, watermark: number): void {
    this.key = e.key;
    this.timestamp = timestamp;
    this.watermark = watermark;
    this.state = e.state.view as never;
    this.timers.current = e;
  }
}

type Fn = ProcessFunction<unknown, Record<string, StateDecl>, unknown>;

const utf8 = new TextDecoder();
const defaultKeyString = (src: Uint8Array, start: number, len: number): string => utf8.decode(src.subarray(start, start + len));

export class ProcessStage {
  readonly wm: Float64Array;
  readonly maxTs: Float64Array;
  private readonly fn: Fn;
  private readonly decls: StateDecls;
  private readonly table: KeyTable;
  private readonly entries: KeyEntry[] = [];
  private readonly eventQueues: TimerHeap[];
  private readonly procQueue = new TimerHeap();
  private readonly timers: KeyTimers;
  private readonly ctx: StageContext;
  private readonly partitions: readonly number[];
  private readonly bound: number;
  private readonly fromRecords: boolean;
  private readonly io: Float64Array;
  private readonly keyString: (src: Uint8Array, keyStart: number, keyLen: number) => string;
  /** popDue's time out-slot (a double returned through a typed array is never boxed). */
  private readonly due = new Float64Array(1);

  constructor(fn: ProcessFunction<never, unknown, unknown>, opts: ProcessStageOptions) {
    this.fn = fn as unknown as Fn;
    this.table = opts.keys ?? new KeyTable();
    this.decls = new StateDecls(fn.state);
    const n = opts.partitions.length;
    this.partitions = opts.partitions.slice();
    this.wm = new Float64Array(n).fill(-Infinity);
    this.maxTs = new Float64Array(n).fill(-Infinity);
    this.eventQueues = Array.from({ length: n }, () => new TimerHeap());
    this.timers = new KeyTimers(this.eventQueues, this.procQueue);
    this.ctx = new StageContext(this.timers, opts.emit);
    this.bound = opts.outOfOrderness;
    this.fromRecords = opts.watermarkFromRecords;
    this.io = opts.io;
    this.keyString = opts.keyString ?? defaultKeyString;
  }

  /** Keys seen (held in memory; a key with empty state and no timers is not snapshotted). */
  get keys(): number { return this.table.size; }

  /** One record of local partition pi, its key src[keyStart, keyStart+keyLen), its event time in io[IN_TS]. Late records are processed too. */
  record(pi: number, hash: number, src: Uint8Array, keyStart: number, keyLen: number, rec: unknown): void {
    const table = this.table;
    const b = table.findForRecord(hash, src, keyStart, keyLen); // before reading `buckets`: an insert may grow the table
    const id = table.buckets[b * B_STRIDE + B_ID1]! - 1;
    const e = this.entries[id] ?? this.addKey(id, pi, this.keyString(src, keyStart, keyLen));
    const ts = this.io[IN_TS]!;
    this.ctx.enter(e, ts, this.wm[pi]!);
    this.fn.onRecord(rec, this.ctx);
    if (ts > this.maxTs[pi]!) {
      this.maxTs[pi] = ts;
      if (this.fromRecords && ts - this.bound > this.wm[pi]!) this.wm[pi] = ts - this.bound;
    }
    if (this.eventQueues[pi]!.size > 0 && this.eventQueues[pi]!.peekTime() <= this.wm[pi]!) this.fireEvent(pi);
  }

  /** A watermark for local partition pi (never moves it back): fires its event-time timers ≤ t in (time, registration) order. */
  watermark(pi: number, t: number): void {
    if (t > this.wm[pi]!) this.wm[pi] = t;
    if (this.eventQueues[pi]!.size > 0 && this.eventQueues[pi]!.peekTime() <= this.wm[pi]!) this.fireEvent(pi);
  }

  /** The wall clock reached `now`: fires processing-time timers ≤ now. */
  processingTime(now: number): void {
    const due = this.due;
    for (let id = popDue(this.procQueue, now, this.entries, 'processing', due); id >= 0; id = popDue(this.procQueue, now, this.entries, 'processing', due)) {
      const e = this.entries[id]!;
      this.ctx.enter(e, due[0]!, this.wm[e.pi]!);
      this.fn.onTimer?.(due[0]!, 'processing', this.ctx);
    }
  }

  /** END: the watermark goes to +Infinity on every partition, firing the event-time timers left. */
  close(): void {
    for (let pi = 0; pi < this.wm.length; pi++) this.watermark(pi, Infinity);
  }

  private fireEvent(pi: number): void {
    const q = this.eventQueues[pi]!;
    const due = this.due;
    // Re-read wm each turn: the limit is the partition's watermark, and a timer registered in onTimer for a time ≤ it fires in this advance.
    for (let id = popDue(q, this.wm[pi]!, this.entries, 'event', due); id >= 0; id = popDue(q, this.wm[pi]!, this.entries, 'event', due)) {
      this.ctx.enter(this.entries[id]!, due[0]!, this.wm[pi]!);
      this.fn.onTimer?.(due[0]!, 'event', this.ctx);
    }
  }

  private addKey(id: number, pi: number, key: string): KeyEntry {
    const e = new KeyEntry(id, key, pi, this.decls.create());
    this.entries[id] = e;
    return e;
  }

  /** This worker's state: its partitions' watermarks and every key with state or timers. */
  snapshot(layout: SnapshotLayout): Uint8Array {
    const only = layout.only;
    const marks = this.partitions.map((partition, pi) => ({ partition, watermark: this.wm[pi]!, maxTs: this.maxTs[pi]! }))
      .filter((m) => only === undefined || m.partition === only);
    const w = new ProcessSnapshotWriter(layout.keyGroups, layout.partitions, marks);
    const t = this.table;
    for (const e of this.entries) {
      if (e === undefined) continue; // a key whose keyString threw
      if (only !== undefined && this.partitions[e.pi] !== only) continue;
      const hasTimers = (e.event !== null && e.event.size > 0) || (e.proc !== null && e.proc.size > 0);
      if (!hasTimers && e.state.empty()) continue;
      w.key(t.hash(e.id), t.arena, t.keyOffset(e.id), t.keyLength(e.id), e.state.toJson(e.key), e.event, e.proc);
    }
    return w.result();
  }

  /**
   * Load from every worker's section the keys whose key group this worker
   * owns under `layout` (group g → partition g % partitions). A partition's
   * watermark is the minimum over its groups' old partitions, so nothing
   * fires earlier than it would have. Call on a fresh stage.
   */
  restore(parts: Uint8Array[], layout: SnapshotLayout): void {
    const sections: StoredProcessSection[] = parts.map((p, i) => readProcessSection(p, `process state part ${i}`));
    for (const s of sections) {
      if (s.keyGroups !== layout.keyGroups) {
        throw new SabreError('ERR_INVALID_OPTION',
          `the checkpoint has ${s.keyGroups} key groups, this job ${layout.keyGroups}: key groups are fixed for a job's life`);
      }
    }
    if (layout.ownPartitions.length !== this.partitions.length || layout.ownPartitions.some((p, i) => p !== this.partitions[i])) {
      throw new SabreError('ERR_INTERNAL', `restore layout owns partitions [${layout.ownPartitions.join(',')}], the stage runs [${this.partitions.join(',')}]`);
    }
    const localOf = new Map<number, number>(this.partitions.map((p, i) => [p, i]));
    this.restoreMarks(sections, layout, localOf);
    const adopted: { e: KeyEntry; domain: 'event' | 'processing'; t: number; seq: number; part: number }[] = [];
    sections.forEach((s, part) => {
      for (const k of s.keys) {
        const pi = localOf.get(toPositive(k.hash) % layout.keyGroups % layout.partitions);
        if (pi === undefined) continue;
        const id = this.table.idOf(k.hash, k.key, 0, k.key.length);
        const e = this.entries[id] ?? this.addKey(id, pi, this.keyString(k.key, 0, k.key.length));
        try {
          e.state.fromJson(k.state);
        } catch (err) {
          throw new SabreError('ERR_CHECKPOINT_CORRUPT', `process state part ${part}: state of key ${JSON.stringify(e.key)} is not JSON: ${(err as Error).message}`);
        }
        for (let i = 0; i < k.event.length; i += 2) adopted.push({ e, domain: 'event', t: k.event[i]!, seq: k.event[i + 1]!, part });
        for (let i = 0; i < k.proc.length; i += 2) adopted.push({ e, domain: 'processing', t: k.proc[i]!, seq: k.proc[i + 1]!, part });
      }
    });
    // Renumber: seqs of different workers' sections collide; this keeps each section's order and interleaves them deterministically.
    adopted.sort((a, b) => a.seq - b.seq || a.part - b.part);
    adopted.forEach((a, seq) => this.timers.adopt(a.e, a.domain, a.t, seq));
    this.timers.seq = Math.max(this.timers.seq, adopted.length);
  }

  private restoreMarks(sections: readonly StoredProcessSection[], layout: SnapshotLayout, localOf: ReadonlyMap<number, number>): void {
    const old = new Map<number, { watermark: number; maxTs: number }>();
    let oldPartitions = 0;
    for (const s of sections) {
      oldPartitions = s.partitions;
      for (const m of s.marks) old.set(m.partition, m);
    }
    const wm = new Float64Array(this.partitions.length).fill(Infinity);
    const maxTs = new Float64Array(this.partitions.length).fill(Infinity);
    for (let g = 0; g < layout.keyGroups && oldPartitions > 0; g++) {
      const pi = localOf.get(g % layout.partitions);
      const m = old.get(g % oldPartitions);
      if (pi === undefined || m === undefined) continue;
      if (m.watermark < wm[pi]!) wm[pi] = m.watermark;
      if (m.maxTs < maxTs[pi]!) maxTs[pi] = m.maxTs;
    }
    for (let pi = 0; pi < wm.length; pi++) {
      this.wm[pi] = wm[pi] === Infinity ? -Infinity : wm[pi]!;
      this.maxTs[pi] = maxTs[pi] === Infinity ? -Infinity : maxTs[pi]!;
    }
  }
}
