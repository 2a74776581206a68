// One partition's windows for a job's `.window(w).aggregate({...})`, exactly
// as docs/SEMANTICS.md "Windows" and "Watermarks, firing and lateness" say,
// with the aggregates of reference-aggregates.ts. Written like
// reference-job.ts (which it generalises from key/ts/value records to a
// job's records): plain objects and arrays, nothing shared with the engine.
import type { AggSpec } from '../../src/job/aggregates.js';
import type { WindowSpec } from '../../src/time/window-spec.js';
import { assignSliding, assignTumbling } from './reference-job.js';
import { addToAcc, mergeAcc, newAcc, results, type RefAcc } from './reference-aggregates.js';

export interface KeyedInput {
  key: string;
  /** What a window result carries for its key: the key fields by name, or { key } for a key function. */
  keyOut: Record<string, unknown>;
  record: Record<string, unknown>;
  ts: number;
}

/** Where a keyed stage sends things: its outputs, and the records too late for any window. */
export interface KeyedSinks {
  emit(out: Record<string, unknown>): void;
  late(record: Record<string, unknown>, watermark: number): void;
}

interface Win {
  keyOut: Record<string, unknown>;
  key: string;
  start: number;
  end: number;
  acc: RefAcc;
  fired: boolean;
  /** A session window that absorbed an already-fired one: its next watermark firing is "late". */
  absorbedFired: boolean;
}

export class RefWindowPartition {
  private maxTs = -Infinity;
  private wm = -Infinity;
  private seq = 0;
  /** Retained windows per key, ascending by start. */
  private readonly windows = new Map<string, Win[]>();
  /** At most the end of every window not yet fired: below it, a watermark fires nothing (saves a scan per record). */
  private nextFire = Infinity;
  /** At most end + allowedLateness of every retained window: below it, a watermark drops nothing. */
  private nextDrop = Infinity;

  constructor(
    private readonly window: WindowSpec,
    private readonly aggs: Readonly<Record<string, AggSpec>>,
    private readonly outOfOrderness: number,
    private readonly allowedLateness: number,
    private readonly out: KeyedSinks,
  ) {}

  onRecord(r: KeyedInput): void {
    const entry = { record: r.record, ts: r.ts, seq: this.seq++ };
    // Step 1: assign, update the non-expired windows, late-fire the already-fired ones.
    const updated = this.window.kind === 'session' ? this.assignSession(r, entry) : this.assignFixed(r, entry);
    if (updated.length === 0) {
      this.out.late(r.record, this.wm);
      return;
    }
    for (const w of updated) {
      this.nextFire = Math.min(this.nextFire, w.end);
      this.nextDrop = Math.min(this.nextDrop, w.end + this.allowedLateness);
      if (w.end <= this.wm) this.fire(w, 'late');
    }
    // Step 2, then step 3 if the watermark moved.
    this.maxTs = Math.max(this.maxTs, r.ts);
    const wm = this.maxTs - this.outOfOrderness;
    if (wm > this.wm) this.advance(wm);
  }

  onEnd(): void {
    this.advance(Infinity);
  }

  private expired(end: number): boolean {
    return end + this.allowedLateness <= this.wm;
  }

  private windowsOf(key: string): Win[] {
    let list = this.windows.get(key);
    if (list === undefined) {
      list = [];
      this.windows.set(key, list);
    }
    return list;
  }

  private newWin(r: KeyedInput, start: number, end: number): Win {
    return { keyOut: r.keyOut, key: r.key, start, end, acc: newAcc(this.aggs), fired: false, absorbedFired: false };
  }

  private assignFixed(r: KeyedInput, entry: { record: Record<string, unknown>; ts: number; seq: number }): Win[] {
    const w = this.window;
    if (w.kind === 'session') return [];
    const starts = w.kind === 'tumbling' ? [assignTumbling(r.ts, w.size)] : assignSliding(r.ts, w.size, w.slide);
    const updated: Win[] = [];
    for (const start of starts) {
      const end = start + w.size;
      if (this.expired(end)) continue;
      const list = this.windowsOf(r.key);
      let win = list.find((x) => x.start === start);
      if (win === undefined) {
        win = this.newWin(r, start, end);
        list.push(win);
        list.sort((a, b) => a.start - b.start);
      }
      addToAcc(this.aggs, win.acc, entry);
      updated.push(win);
    }
    return updated;
  }

  private assignSession(r: KeyedInput, entry: { record: Record<string, unknown>; ts: number; seq: number }): Win[] {
    const w = this.window;
    if (w.kind !== 'session') return [];
    const list = this.windowsOf(r.key);
    const protoEnd = r.ts + w.gap;
    const overlapping = list.filter((x) => x.start < protoEnd && r.ts < x.end);
    if (overlapping.length === 0) {
      if (this.expired(protoEnd)) return [];
      const win = this.newWin(r, r.ts, protoEnd);
      addToAcc(this.aggs, win.acc, entry);
      list.push(win);
      list.sort((a, b) => a.start - b.start);
      return [win];
    }
    // The windows overlapping the proto-window merge into the first (ascending start), then the record is added.
    const first = overlapping[0]!;
    const anyFired = overlapping.some((x) => x.fired || x.absorbedFired);
    let start = Math.min(r.ts, first.start);
    let end = Math.max(protoEnd, first.end);
    for (const other of overlapping.slice(1)) {
      mergeAcc(this.aggs, first.acc, other.acc);
      start = Math.min(start, other.start);
      end = Math.max(end, other.end);
      list.splice(list.indexOf(other), 1);
    }
    addToAcc(this.aggs, first.acc, entry);
    first.start = start;
    first.end = end;
    first.fired = false;
    first.absorbedFired = anyFired;
    list.sort((a, b) => a.start - b.start);
    return [first];
  }

  private advance(wm: number): void {
    this.wm = wm;
    if (wm >= this.nextFire) {
      const fireable: Win[] = [];
      for (const list of this.windows.values()) for (const win of list) if (win.end <= wm && !win.fired) fireable.push(win);
      fireable.sort((a, b) => a.end - b.end || a.start - b.start || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
      for (const win of fireable) this.fire(win, win.absorbedFired ? 'late' : 'watermark');
      this.nextFire = Infinity;
      for (const list of this.windows.values()) for (const win of list) if (!win.fired) this.nextFire = Math.min(this.nextFire, win.end);
    }
    if (wm >= this.nextDrop) {
      this.nextDrop = Infinity;
      for (const [key, list] of this.windows) {
        const kept = list.filter((win) => !this.expired(win.end));
        if (kept.length === 0) this.windows.delete(key);
        else this.windows.set(key, kept);
        for (const win of kept) this.nextDrop = Math.min(this.nextDrop, win.end + this.allowedLateness);
      }
    }
  }

  private fire(win: Win, fire: 'watermark' | 'late'): void {
    win.fired = true;
    win.absorbedFired = false;
    this.out.emit({ ...win.keyOut, start: win.start, end: win.end, fire, ...results(this.aggs, win.acc) });
  }
}
