import { B_FIRST, B_ID1, B_STRIDE, KeyTable } from './key-table.js';
import {
  C_END, C_FIRED_END, C_STRIDE, F_COUNT, F_FIRED_END, F_MAX_INGEST, F_MAX, F_MIN, F_START, F_STRIDE, F_SUM, I_FLAGS, I_GEN, I_KEY, I_NEXT,
  I_PARTITION, I_STRIDE, S_ALIVE, S_DIRTY, S_FIRED, WindowSlots,
} from './window-slots.js';
import { TimerQueue } from './timer-queue.js';
import type { UserAggregate } from './user-aggregate.js';
import type { OperatorConfig } from './window-config.js';
import { linkWindowFirst, unlinkWindow, mergeWindowInto } from './window-list.js';
import { IN_INGEST, IN_TS, IN_VALUE } from './record-io.js';
import { FIRE_EARLY, FIRE_LATE, FIRE_WATERMARK } from './fire-kind.js';

/** Where firings and late records go (the worker's out-ring writer; a list in tests). */
export interface Emitter {
  /** A window fires: read its state from `slots`/`keys` at index `slot`. */
  result(op: WindowOperator, slot: number, fire: number): void;
  /** A record beyond allowed lateness. Key bytes are src[keyStart, keyStart+keyLen). */
  late(hash: number, src: Uint8Array, keyStart: number, keyLen: number, ts: number, value: number,
    ingest: number, watermark: number, partition: number): void;
}

const MAX_SESSION_MERGE = 1024;
/** Accumulators of purged windows kept for new windows (UserAggregate.reset): enough for a purge wave, bounded after a spike. */
const MAX_SPARE_ACCUMULATORS = 4096;

/** Slots of WindowOperator.io (the record being processed). */
// The operator's own io slots: the window being looked up (start, end); the watermark to advance to.
const IO_START = 3, IO_END = 4, IO_WM = 5;

/**
 * Event-time windows of one worker, for all of its partitions (docs/SEMANTICS.md
 * is the contract). State is shared across partitions (keys never cross
 * partitions); watermarks and timers are per partition. Nothing here
 * allocates per record unless a user aggregate does.
 *
 * Watermark invariant: wm[p] never decreases; a window fires on the
 * watermark exactly once per end value, when wm[p] first reaches its end.
 */
export class WindowOperator {
  readonly keys: KeyTable;
  readonly slots = new WindowSlots();
  /** Per local partition. */
  readonly maxTs: Float64Array;
  readonly wm: Float64Array;
  /** Per partition: start of the last window assigned; most records fall into it, which saves a float modulo. */
  private readonly lastStart: Float64Array;
  private readonly timers: TimerQueue[];
  private readonly kind: 0 | 1 | 2;
  private readonly size: number;
  private readonly slide: number;
  private readonly gap: number;
  private readonly bound: number;
  private readonly lateness: number;
  private readonly ua: UserAggregate | undefined;
  /** Sliding windows whose user aggregate keeps per-pane state (UserAggregate.panes): only the window starting at a record's pane gets its ownPane adds. */
  readonly panes: boolean;
  private readonly earlyFiring: boolean;
  private readonly fromRecords: boolean;
  private readonly scratch = new Int32Array(MAX_SESSION_MERGE);
  /** Accumulators of purged windows, for reuse when the user aggregate can reset them. */
  private readonly spare: unknown[] = [];
  /** The record being processed: io[IN_TS], io[IN_VALUE], io[IN_INGEST] (see IN_*). */
  readonly io = new Float64Array(8);
  lateRecords = 0;
  firings = 0;
  /** Per local partition: late records and firings (for the shared counters). */
  readonly lateByPartition: Float64Array;
  readonly firingsByPartition: Float64Array;

  constructor(readonly config: OperatorConfig, private readonly emitter: Emitter) {
    this.keys = config.keys ?? new KeyTable();
    const n = config.partitions.length;
    this.maxTs = new Float64Array(n).fill(-Infinity);
    this.wm = new Float64Array(n).fill(-Infinity);
    this.lastStart = new Float64Array(n).fill(NaN);
    this.timers = Array.from({ length: n }, () => new TimerQueue());
    this.lateByPartition = new Float64Array(n);
    this.firingsByPartition = new Float64Array(n);
    const w = config.window;
    this.kind = w.kind === 'tumbling' ? 0 : w.kind === 'sliding' ? 1 : 2;
    this.size = w.kind === 'session' ? 0 : w.size;
    this.slide = w.kind === 'sliding' ? w.slide : this.size;
    this.gap = w.kind === 'session' ? w.gap : 0;
    this.bound = config.outOfOrderness;
    this.lateness = config.allowedLateness;
    this.ua = config.userAggregate;
    this.earlyFiring = config.earlyFiring === true;
    this.fromRecords = config.watermarkFromRecords !== false;
    if (this.ua) this.slots.user = [];
    this.panes = this.kind === 1 && this.ua?.panes === true && this.size % this.slide === 0;
  }

  /**
   * One record of local partition `pi`; the key is src[keyStart, keyStart+keyLen); times and value in `io`.
   * A late record (every window it belongs to is past allowed lateness) changes nothing but the late
   * counters: it opens no window, adds no key and moves neither maxTs nor the watermark — else one record
   * far ahead, itself late, would make every later on-time record of its partition late too.
   */
  record(pi: number, hash: number, src: Uint8Array, keyStart: number, keyLen: number): void {
    const io = this.io;
    const ts = io[IN_TS]!;
    const wm = this.wm[pi]!;
    let accepted = false;
    if (this.kind === 2) {
      // A new session [ts, ts+gap) past lateness is late unless the key has a live session to merge with,
      // so then look the key up without adding it.
      const keys = this.keys;
      const b = ts + this.gap + this.lateness > wm ? keys.find(hash, src, keyStart, keyLen) : keys.lookup(hash, src, keyStart, keyLen);
      if (b >= 0) accepted = this.session(pi, b * B_STRIDE);
    } else {
      const size = this.size;
      const lateness = this.lateness;
      const slide = this.slide;
      let last = this.lastStart[pi]!;
      if (!(ts >= last && ts < last + slide)) {
        // alignDown, inlined: a double returned from a call V8 does not inline
        // would make `start` below a tagged value, boxed on every iteration.
        const r = ts % slide;
        last = r < 0 ? ts - r - slide : ts - r;
        this.lastStart[pi] = last;
      }
      // `last` starts the window of ts that ends last: if it is expired, all are, and the key is not looked up.
      if (last > ts - size && last + size + lateness > wm) {
        // The key's bucket (its hot row); used right away, before anything can grow the table.
        const kw = this.keys.findForRecord(hash, src, keyStart, keyLen) * B_STRIDE;
        // Where the next window's search starts: a key's list is mostly newest (latest start) first and the
        // windows below are visited latest start first, so each search resumes after the window found before.
        let from = -1;
        // Tumbling is sliding with slide == size: one iteration.
        for (let start = last; start > ts - size; start -= slide) {
          const end = start + size;
          // Windows are visited by decreasing end: once one is expired, all the rest are.
          if (end + lateness <= wm) break;
          accepted = true;
          io[IO_START] = start;
          io[IO_END] = end;
          const s = this.windowOf(kw, pi, from);
          from = this.slots.i[s * I_STRIDE + I_NEXT]!;
          // The first window visited starts at the record's pane (`last`): its own pane.
          this.add(s, start === last || !this.panes);
          if (end <= wm) this.fire(s, FIRE_LATE);
        }
      }
    }
    if (!accepted) {
      this.lateRecords++;
      this.lateByPartition[pi]!++;
      this.emitter.late(hash, src, keyStart, keyLen, ts, io[IN_VALUE]!, io[IN_INGEST]!, wm, this.config.partitions[pi]!);
      return;
    }
    if (ts > this.maxTs[pi]!) {
      this.maxTs[pi] = ts;
      const next = ts - this.bound;
      if (next > wm && this.fromRecords) {
        io[IO_WM] = next;
        this.advance(pi);
      }
    }
  }

  /** A WATERMARK frame, or END (+Infinity). Never moves the watermark back. */
  watermark(pi: number, t: number): void {
    if (t > this.wm[pi]!) {
      this.io[IO_WM] = t;
      this.advance(pi);
    }
  }

  /** Early firings: every window updated since its last firing and not yet due. */
  fireEarly(): void {
    const slots = this.slots;
    const n = slots.highWater;
    for (let s = 0; s < n; s++) {
      if ((slots.int(s, I_FLAGS) & (S_ALIVE | S_DIRTY)) === (S_ALIVE | S_DIRTY)) this.fire(s, FIRE_EARLY);
    }
  }

  /** Restore: set a partition's watermark and max event time without firing anything. */
  setWatermark(pi: number, wm: number, maxTs: number): void {
    this.wm[pi] = wm;
    this.maxTs[pi] = maxTs;
  }

  /** Restore: add a window from a snapshot at the head of its key's list, with the timer it needs. */
  adoptWindow(pi: number, keyId: number, w: { start: number; end: number; count: number; sum: number; min: number; max: number;
    firedEnd: number; flags: number; user: unknown }): void {
    const slots = this.slots;
    const s = slots.alloc(keyId, pi, w.start, w.end);
    const b = s * F_STRIDE;
    slots.f[b + F_COUNT] = w.count;
    slots.f[b + F_SUM] = w.sum;
    slots.f[b + F_MIN] = w.min;
    slots.f[b + F_MAX] = w.max;
    slots.cold[s * C_STRIDE + C_FIRED_END] = w.firedEnd;
    slots.i[s * I_STRIDE + I_FLAGS] = S_ALIVE | (w.flags & (S_FIRED | S_DIRTY));
    if (this.ua) slots.user[s] = w.user === undefined ? this.ua.init() : w.user;
    linkWindowFirst(slots, s, this.keys.firstWindow(keyId));
    this.keys.setFirstWindow(keyId, s);
    const due = w.firedEnd !== w.end && w.end > this.wm[pi]!;
    this.timers[pi]!.push(due ? w.end : w.end + this.lateness, s, slots.int(s, I_GEN));
  }

  /** Local index of the partition a slot belongs to. */
  partitionOfSlot(s: number): number {
    return this.slots.int(s, I_PARTITION);
  }

  /** The user aggregate's result for a slot, as JSON (emit path only). */
  userResultJson(s: number): string | undefined {
    return this.ua ? JSON.stringify(this.ua.result(this.slots.user[s])) : undefined;
  }

  /** Bytes of the state tables (keys, slots, timers; user accumulators not included). */
  stateBytes(): number {
    let b = this.keys.bytes() + this.slots.bytes();
    for (const t of this.timers) b += t.bytes();
    return b;
  }

  /** Minimum watermark over this operator's partitions. */
  minWatermark(): number {
    let m = Infinity;
    for (let i = 0; i < this.wm.length; i++) if (this.wm[i]! < m) m = this.wm[i]!;
    return m;
  }

  // ─────────────────────────────────────────────────────────────────────────

  /**
   * The slot of (key at bucket word kw, io[IO_START]), created with its timer
   * if new (end io[IO_END]). The search starts at slot `from` of the key's
   * list (-1: its head) and goes round to the head if it finds nothing there.
   */
  private windowOf(kw: number, pi: number, from: number): number {
    const slots = this.slots;
    const f = slots.f;
    const si = slots.i;
    const buckets = this.keys.buckets;
    const start = this.io[IO_START]!;
    const head = buckets[kw + B_FIRST]!;
    if (from >= 0) {
      for (let s = from; s >= 0; s = si[s * I_STRIDE + I_NEXT]!) {
        if (f[s * F_STRIDE + F_START] === start) return s;
      }
    }
    for (let s = head; s >= 0 && s !== from; s = si[s * I_STRIDE + I_NEXT]!) {
      if (f[s * F_STRIDE + F_START] === start) return s;
    }
    const end = this.io[IO_END]!;
    const s = slots.alloc(buckets[kw + B_ID1]! - 1, pi, start, end);
    linkWindowFirst(slots, s, buckets[kw + B_FIRST]!);
    buckets[kw + B_FIRST] = s;
    if (this.ua) slots.user[s] = this.spare.length > 0 ? this.ua.reset!(this.spare.pop()) : this.ua.init();
    // A window born behind the watermark fires as "late" right away (the caller does it); it only needs its purge timer.
    this.timers[pi]!.push(end > this.wm[pi]! ? end : end + this.lateness, s, slots.i[s * I_STRIDE + I_GEN]!);
    return s;
  }

  /** Fold the current record (io) into slot s; `ownPane`: see UserAggregate.panes. */
  private add(s: number, ownPane: boolean): void {
    const slots = this.slots;
    const f = slots.f;
    const b = s * F_STRIDE;
    const value = this.io[IN_VALUE]!;
    f[b + F_COUNT]! += 1;
    f[b + F_SUM]! += value;
    if (value < f[b + F_MIN]!) f[b + F_MIN] = value;
    if (value > f[b + F_MAX]!) f[b + F_MAX] = value;
    if (this.earlyFiring) {
      const ingest = this.io[IN_INGEST]!;
      if (ingest > f[b + F_MAX_INGEST]!) f[b + F_MAX_INGEST] = ingest;
      slots.i[s * I_STRIDE + I_FLAGS]! |= S_DIRTY;
    }
    if (this.ua) slots.user[s] = this.ua.add(slots.user[s], value, ownPane);
  }

  private session(pi: number, kw: number): boolean {
    const keyId = this.keys.buckets[kw + B_ID1]! - 1;
    const slots = this.slots;
    const io = this.io;
    const ts = io[IN_TS]!;
    const wm = this.wm[pi]!;
    const pEnd = ts + this.gap;
    const scratch = this.scratch;
    let n = 0;
    for (let s = this.keys.firstWindow(keyId); s >= 0; s = slots.int(s, I_NEXT)) {
      if (slots.start(s) < pEnd && ts < slots.end(s) && n < MAX_SESSION_MERGE) scratch[n++] = s;
    }
    if (n === 0) {
      if (pEnd + this.lateness <= wm) return false;
      io[IO_START] = ts;
      io[IO_END] = pEnd;
      const s = this.windowOf(kw, pi, -1);
      this.add(s, true);
      if (pEnd <= wm) this.fire(s, FIRE_LATE);
      return true;
    }
    // Merge in ascending start order into the first (docs/SEMANTICS.md); n is tiny.
    for (let i = 1; i < n; i++) {
      const x = scratch[i]!;
      let j = i - 1;
      while (j >= 0 && slots.start(scratch[j]!) > slots.start(x)) { scratch[j + 1] = scratch[j]!; j--; }
      scratch[j + 1] = x;
    }
    const first = scratch[0]!;
    const f = slots.f;
    const fb = first * F_STRIDE;
    const cold = slots.cold;
    const cb = first * C_STRIDE;
    const oldEnd = cold[cb + C_END]!;
    for (let i = 1; i < n; i++) mergeWindowInto(slots, this.keys, this.ua, first, scratch[i]!, keyId);
    if (ts < f[fb + F_START]!) f[fb + F_START] = ts;
    if (pEnd > cold[cb + C_END]!) cold[cb + C_END] = pEnd;
    this.add(first, true);
    const end = cold[cb + C_END]!;
    const gen = slots.int(first, I_GEN);
    if (end > wm) {
      if (end !== oldEnd) this.timers[pi]!.push(end, first, gen);
    } else {
      this.fire(first, FIRE_LATE);
      if (end !== oldEnd) this.timers[pi]!.push(end + this.lateness, first, gen);
    }
    return true;
  }

  /** Raise partition pi's watermark to io[IO_WM], firing and purging what it passes. */
  private advance(pi: number): void {
    const t = this.io[IO_WM]!;
    this.wm[pi] = t;
    const q = this.timers[pi]!;
    const slots = this.slots;
    // An empty queue peeks +Infinity, which END's watermark (+Infinity) reaches: check size, or pop() corrupts it.
    while (q.size > 0 && q.peekTime() <= t) {
      const time = q.peekTime();
      const s = q.peekSlot();
      const g = q.peekGen();
      q.pop();
      if (slots.int(s, I_GEN) !== g || (slots.int(s, I_FLAGS) & S_ALIVE) === 0) continue; // stale: slot freed
      const end = slots.end(s);
      if (time === end && slots.float(s, F_FIRED_END) !== end) {
        // Due: "late" if this window (or one merged into it) fired before.
        this.fire(s, (slots.int(s, I_FLAGS) & S_FIRED) !== 0 ? FIRE_LATE : FIRE_WATERMARK);
        if (end + this.lateness > t) {
          if (this.lateness > 0) q.push(end + this.lateness, s, g);
          continue;
        }
        this.purge(s);
      } else if (time === end + this.lateness) {
        this.purge(s);
      }
      // Otherwise the entry is stale: a session's end moved and a newer timer exists.
    }
  }

  private fire(s: number, kind: number): void {
    const slots = this.slots;
    this.firings++;
    this.firingsByPartition[slots.int(s, I_PARTITION)]!++;
    this.emitter.result(this, s, kind);
    const ib = s * I_STRIDE;
    if (kind !== FIRE_EARLY) {
      slots.i[ib + I_FLAGS]! |= S_FIRED;
      slots.cold[s * C_STRIDE + C_FIRED_END] = slots.end(s);
    }
    slots.i[ib + I_FLAGS]! &= ~S_DIRTY;
    slots.f[s * F_STRIDE + F_MAX_INGEST] = 0;
  }

  private purge(s: number): void {
    // Its firings are out (results are built when a window fires), so nothing refers to its accumulator any more.
    if (this.ua?.reset !== undefined && this.spare.length < MAX_SPARE_ACCUMULATORS) this.spare.push(this.slots.user[s]);
    unlinkWindow(this.slots, this.keys, s, this.slots.int(s, I_KEY));
    this.slots.free(s);
  }
}
