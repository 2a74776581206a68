import { KeyTable } from './key-table.js';
import { S_ALIVE, S_DIRTY, S_FIRED, WindowSlots } from './window-slots.js';
import { TimerQueue } from './timer-queue.js';
import type { UserAggregate } from './user-aggregate.js';
import type { WindowSpec } from '../time/window-spec.js';
import { FIRE_EARLY, FIRE_LATE, FIRE_WATERMARK } from '../codec/out-frames.js';

/** Where firings and late records go (the worker's out-ring writer; a list in tests). */
export interface Emitter {
  /** A window fires: read its state from `slots`/`keys` at index `slot`. */
  result(op: WindowOperator, slot: number, fire: number): void;
  /** A record beyond allowed lateness. Key bytes are src[keyStart, keyStart+keyLen). */
  late(hash: number, src: Uint8Array, keyStart: number, keyLen: number, ts: number, value: number,
    ingest: number, watermark: number, partition: number): void;
}

export interface OperatorConfig {
  window: WindowSpec;
  outOfOrderness: number;
  allowedLateness: number;
  /** Global partition ids this operator serves; records name them by local index. */
  partitions: number[];
  userAggregate?: UserAggregate | undefined;
}

const MAX_SESSION_MERGE = 1024;

/**
 * Slots of WindowOperator.io. Per-record doubles travel through this array,
 * not as arguments: V8 boxes a double passed to a call it does not inline,
 * which would be an allocation per record.
 */
export const IN_TS = 0;
export const IN_VALUE = 1;
export const IN_INGEST = 2;
/** Wall clock (epoch ms) of the current batch, set by the worker loop, stamped on firings. */
export const IO_NOW = 6;
const IO_START = 3; // window being looked up
const IO_END = 4;
const IO_WM = 5; // watermark to advance to

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
  readonly keys = new KeyTable();
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
  private readonly scratch = new Int32Array(MAX_SESSION_MERGE);
  /** The record being processed: io[IN_TS], io[IN_VALUE], io[IN_INGEST] (see IN_*). */
  readonly io = new Float64Array(8);
  lateRecords = 0;
  firings = 0;
  /** Per local partition: late records and firings (for the shared counters). */
  readonly lateByPartition: Float64Array;
  readonly firingsByPartition: Float64Array;

  constructor(readonly config: OperatorConfig, private readonly emitter: Emitter) {
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
    if (this.ua) this.slots.user = [];
  }

  /** One record of local partition `pi`; the key is src[keyStart, keyStart+keyLen); times and value in `io`. */
  record(pi: number, hash: number, src: Uint8Array, keyStart: number, keyLen: number): void {
    const io = this.io;
    const ts = io[IN_TS]!;
    const keyId = this.keys.idOf(hash, src, keyStart, keyLen);
    const wm = this.wm[pi]!;
    let accepted: boolean;
    if (this.kind === 2) accepted = this.session(pi, keyId);
    else {
      accepted = false;
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
      // Tumbling is sliding with slide == size: one iteration.
      for (let start = last; start > ts - size; start -= slide) {
        const end = start + size;
        // Windows are visited by decreasing end: once one is expired, all the rest are.
        if (end + lateness <= wm) break;
        accepted = true;
        io[IO_START] = start;
        io[IO_END] = end;
        const s = this.windowOf(keyId, pi);
        this.add(s);
        if (end <= wm) this.fire(s, FIRE_LATE);
      }
    }
    if (!accepted) {
      this.lateRecords++;
      this.lateByPartition[pi]!++;
      this.emitter.late(hash, src, keyStart, keyLen, ts, io[IN_VALUE]!, io[IN_INGEST]!, wm, this.config.partitions[pi]!);
    }
    if (ts > this.maxTs[pi]!) {
      this.maxTs[pi] = ts;
      const next = ts - this.bound;
      if (next > wm) {
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
    const flags = slots.flags;
    const n = slots.highWater;
    for (let s = 0; s < n; s++) {
      if ((flags[s]! & (S_ALIVE | S_DIRTY)) === (S_ALIVE | S_DIRTY)) this.fire(s, FIRE_EARLY);
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
    slots.count[s] = w.count;
    slots.sum[s] = w.sum;
    slots.min[s] = w.min;
    slots.max[s] = w.max;
    slots.firedEnd[s] = w.firedEnd;
    slots.flags[s] = S_ALIVE | (w.flags & (S_FIRED | S_DIRTY));
    if (this.ua) slots.user[s] = w.user === undefined ? this.ua.init() : w.user;
    slots.next[s] = this.keys.firstWindow[keyId]!;
    this.keys.firstWindow[keyId] = s;
    const due = w.firedEnd !== w.end && w.end > this.wm[pi]!;
    this.timers[pi]!.push(due ? w.end : w.end + this.lateness, s, slots.gen[s]!);
  }

  /** Local index of the partition a slot belongs to. */
  partitionOfSlot(s: number): number {
    return this.slots.partition[s]!;
  }

  /** The user aggregate's result for a slot, as JSON (emit path only). */
  userResultJson(s: number): string | undefined {
    return this.ua ? JSON.stringify(this.ua.result(this.slots.user[s])) : undefined;
  }

  /** Minimum watermark over this operator's partitions. */
  minWatermark(): number {
    let m = Infinity;
    for (let i = 0; i < this.wm.length; i++) if (this.wm[i]! < m) m = this.wm[i]!;
    return m;
  }

  // ─────────────────────────────────────────────────────────────────────────

  /** The slot of (key, io[IO_START]), created with its timer if new (end io[IO_END]). */
  private windowOf(keyId: number, pi: number): number {
    const slots = this.slots;
    const start = this.io[IO_START]!;
    for (let s = this.keys.firstWindow[keyId]!; s >= 0; s = slots.next[s]!) {
      if (slots.start[s] === start) return s;
    }
    const end = this.io[IO_END]!;
    const s = slots.alloc(keyId, pi, start, end);
    slots.next[s] = this.keys.firstWindow[keyId]!;
    this.keys.firstWindow[keyId] = s;
    if (this.ua) slots.user[s] = this.ua.init();
    // A window born behind the watermark fires as "late" right away (the caller does it); it only needs its purge timer.
    this.timers[pi]!.push(end > this.wm[pi]! ? end : end + this.lateness, s, slots.gen[s]!);
    return s;
  }

  /** Fold the current record (io) into slot s. */
  private add(s: number): void {
    const slots = this.slots;
    const value = this.io[IN_VALUE]!;
    const ingest = this.io[IN_INGEST]!;
    slots.count[s]! += 1;
    slots.sum[s]! += value;
    if (value < slots.min[s]!) slots.min[s] = value;
    if (value > slots.max[s]!) slots.max[s] = value;
    if (ingest > slots.ingest[s]!) slots.ingest[s] = ingest;
    slots.flags[s]! |= S_DIRTY;
    if (this.ua) slots.user[s] = this.ua.add(slots.user[s], value);
  }

  private session(pi: number, keyId: number): boolean {
    const slots = this.slots;
    const io = this.io;
    const ts = io[IN_TS]!;
    const wm = this.wm[pi]!;
    const pEnd = ts + this.gap;
    const scratch = this.scratch;
    let n = 0;
    for (let s = this.keys.firstWindow[keyId]!; s >= 0; s = slots.next[s]!) {
      if (slots.start[s]! < pEnd && ts < slots.end[s]! && n < MAX_SESSION_MERGE) scratch[n++] = s;
    }
    if (n === 0) {
      if (pEnd + this.lateness <= wm) return false;
      io[IO_START] = ts;
      io[IO_END] = pEnd;
      const s = this.windowOf(keyId, pi);
      this.add(s);
      if (pEnd <= wm) this.fire(s, FIRE_LATE);
      return true;
    }
    // Merge in ascending start order into the first (docs/SEMANTICS.md); n is tiny.
    for (let i = 1; i < n; i++) {
      const x = scratch[i]!;
      let j = i - 1;
      while (j >= 0 && slots.start[scratch[j]!]! > slots.start[x]!) { scratch[j + 1] = scratch[j]!; j--; }
      scratch[j + 1] = x;
    }
    const first = scratch[0]!;
    const oldEnd = slots.end[first]!;
    for (let i = 1; i < n; i++) this.mergeInto(first, scratch[i]!, keyId);
    if (ts < slots.start[first]!) slots.start[first] = ts;
    if (pEnd > slots.end[first]!) slots.end[first] = pEnd;
    this.add(first);
    const end = slots.end[first]!;
    if (end > wm) {
      if (end !== oldEnd) this.timers[pi]!.push(end, first, slots.gen[first]!);
    } else {
      this.fire(first, FIRE_LATE);
      if (end !== oldEnd) this.timers[pi]!.push(end + this.lateness, first, slots.gen[first]!);
    }
    return true;
  }

  private mergeInto(a: number, b: number, keyId: number): void {
    const slots = this.slots;
    slots.count[a]! += slots.count[b]!;
    slots.sum[a]! += slots.sum[b]!;
    if (slots.min[b]! < slots.min[a]!) slots.min[a] = slots.min[b]!;
    if (slots.max[b]! > slots.max[a]!) slots.max[a] = slots.max[b]!;
    if (slots.ingest[b]! > slots.ingest[a]!) slots.ingest[a] = slots.ingest[b]!;
    if (slots.end[b]! > slots.end[a]!) slots.end[a] = slots.end[b]!;
    if (slots.start[b]! < slots.start[a]!) slots.start[a] = slots.start[b]!;
    slots.flags[a]! |= slots.flags[b]! & (S_FIRED | S_DIRTY);
    if (this.ua) slots.user[a] = this.ua.merge(slots.user[a], slots.user[b]);
    this.unlink(b, keyId);
    slots.free(b);
  }

  private unlink(s: number, keyId: number): void {
    const slots = this.slots;
    let prev = -1;
    for (let x = this.keys.firstWindow[keyId]!; x >= 0; prev = x, x = slots.next[x]!) {
      if (x !== s) continue;
      if (prev < 0) this.keys.firstWindow[keyId] = slots.next[x]!;
      else slots.next[prev] = slots.next[x]!;
      return;
    }
  }

  /** Raise partition pi's watermark to io[IO_WM], firing and purging what it passes. */
  private advance(pi: number): void {
    const t = this.io[IO_WM]!;
    this.wm[pi] = t;
    const q = this.timers[pi]!;
    const slots = this.slots;
    while (q.peekTime() <= t) {
      const time = q.peekTime();
      const s = q.peekSlot();
      const g = q.peekGen();
      q.pop();
      if (slots.gen[s] !== g || (slots.flags[s]! & S_ALIVE) === 0) continue; // stale: slot freed
      const end = slots.end[s]!;
      if (time === end && slots.firedEnd[s] !== end) {
        // Due: "late" if this window (or one merged into it) fired before.
        this.fire(s, (slots.flags[s]! & S_FIRED) !== 0 ? FIRE_LATE : FIRE_WATERMARK);
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
    this.firingsByPartition[slots.partition[s]!]!++;
    this.emitter.result(this, s, kind);
    if (kind !== FIRE_EARLY) {
      slots.flags[s]! |= S_FIRED;
      slots.firedEnd[s] = slots.end[s]!;
    }
    slots.flags[s]! &= ~S_DIRTY;
    slots.ingest[s] = 0;
  }

  private purge(s: number): void {
    this.unlink(s, this.slots.keyId[s]!);
    this.slots.free(s);
  }
}
