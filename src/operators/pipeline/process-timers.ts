// Timers of keyed process functions: a min-heap per clock (and per partition
// for event time) of (time, seq, key id), in typed arrays. `seq` numbers
// registrations, so timers due at the same time fire in the order they were
// registered. Each key also keeps its own timers (time → seq): that set is
// the truth, the heap only orders it. A deleted timer stays in the heap and
// is skipped when popped (its seq no longer matches), so delete is O(1).
import type { Timers } from '../../job/process.js';
import { SabreError } from '../../errors.js';

/** Binary min-heap of timers ordered by (time, seq). */
export class TimerHeap {
  private time: Float64Array;
  private seq: Float64Array;
  private key: Int32Array;
  size = 0;

  constructor(initialCapacity = 64) {
    this.time = new Float64Array(initialCapacity);
    this.seq = new Float64Array(initialCapacity);
    this.key = new Int32Array(initialCapacity);
  }

  /** Earliest time, +Infinity when empty. */
  peekTime(): number { return this.size === 0 ? Infinity : this.time[0]!; }
  peekSeq(): number { return this.seq[0]!; }
  peekKey(): number { return this.key[0]!; }

  push(t: number, s: number, k: number): void {
    if (this.size === this.time.length) this.grow();
    let i = this.size++;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!before(t, s, this.time[p]!, this.seq[p]!)) break;
      this.move(p, i);
      i = p;
    }
    this.time[i] = t;
    this.seq[i] = s;
    this.key[i] = k;
  }

  /** Remove the earliest entry (read it with peek* first). */
  pop(): void {
    const n = --this.size;
    if (n === 0) return;
    const t = this.time[n]!;
    const s = this.seq[n]!;
    const k = this.key[n]!;
    let i = 0;
    for (;;) {
      let c = 2 * i + 1;
      if (c >= n) break;
      if (c + 1 < n && before(this.time[c + 1]!, this.seq[c + 1]!, this.time[c]!, this.seq[c]!)) c++;
      if (!before(this.time[c]!, this.seq[c]!, t, s)) break;
      this.move(c, i);
      i = c;
    }
    this.time[i] = t;
    this.seq[i] = s;
    this.key[i] = k;
  }

  private move(from: number, to: number): void {
    this.time[to] = this.time[from]!;
    this.seq[to] = this.seq[from]!;
    this.key[to] = this.key[from]!;
  }

  private grow(): void {
    const c = this.time.length * 2;
    const t = new Float64Array(c); t.set(this.time); this.time = t;
    const s = new Float64Array(c); s.set(this.seq); this.seq = s;
    const k = new Int32Array(c); k.set(this.key); this.key = k;
  }
}

function before(t1: number, s1: number, t2: number, s2: number): boolean {
  return t1 < t2 || (t1 === t2 && s1 < s2);
}

/** A key's registered timers of one clock: time → seq of its registration (one timer per key and time). */
export type KeyTimerSet = Map<number, number>;

/** What a timer belongs to: a key of a local partition, with its registered timers. */
export interface TimerOwner {
  readonly id: number;
  readonly pi: number;
  event: KeyTimerSet | null;
  proc: KeyTimerSet | null;
  /**
   * The time of the key's latest eventTime() call while that timer is still
   * in `event` (NaN after it fired or was deleted): a rule registering the
   * same timer for each of a key's records (market-bars: the end of the
   * record's second) skips the set lookup, a hash of a double.
   */
  lastEvent: number;
}

/**
 * ctx.timers of a stage: registers for the key being processed (`current`,
 * set by the stage before each call into user code).
 */
export class KeyTimers implements Timers {
  current!: TimerOwner;
  /** Next registration's seq (a double: never wraps). */
  seq = 0;

  constructor(readonly eventQueues: readonly TimerHeap[], readonly procQueue: TimerHeap) {}

  eventTime(t: number): void {
    const k = this.current;
    if (t === k.lastEvent) return;
    checkTime(t, 'eventTime');
    const set = k.event ??= new Map();
    if (!set.has(t)) this.add(set, this.eventQueues[k.pi]!, t, this.seq++, k.id);
    k.lastEvent = t;
  }

  processingTime(t: number): void {
    const k = this.current;
    checkTime(t, 'processingTime');
    const set = k.proc ??= new Map();
    if (!set.has(t)) this.add(set, this.procQueue, t, this.seq++, k.id);
  }

  deleteEventTime(t: number): void {
    const k = this.current;
    if (t === k.lastEvent) k.lastEvent = NaN;
    k.event?.delete(t);
  }
  deleteProcessingTime(t: number): void { this.current.proc?.delete(t); }

  /** Restore: a timer with the seq it had (renumbered by the caller to keep the stored order). */
  adopt(k: TimerOwner, domain: 'event' | 'processing', t: number, seq: number): void {
    if (domain === 'event') this.add(k.event ??= new Map(), this.eventQueues[k.pi]!, t, seq, k.id);
    else this.add(k.proc ??= new Map(), this.procQueue, t, seq, k.id);
  }

  private add(set: KeyTimerSet, q: TimerHeap, t: number, seq: number, id: number): void {
    set.set(t, seq);
    q.push(t, seq, id);
  }
}

/**
 * Pop the earliest live timer of `q` due at or before `limit` into `out`
 * ([time] and the owner's id in the return); -1 when none is due. The timer
 * is removed from its key's set before the caller runs user code, so a throw
 * there loses only the timer that threw.
 */
export function popDue(q: TimerHeap, limit: number, owners: readonly TimerOwner[], domain: 'event' | 'processing', out: Float64Array): number {
  // size first: an empty heap's peekTime is +Infinity, which END's limit (+Infinity) would let through.
  while (q.size > 0 && q.peekTime() <= limit) {
    const t = q.peekTime();
    const seq = q.peekSeq();
    const id = q.peekKey();
    q.pop();
    const owner = owners[id]!;
    const set = domain === 'event' ? owner.event : owner.proc;
    if (set === null || set.get(t) !== seq) continue; // deleted (or deleted and registered again: a newer entry exists)
    set.delete(t);
    if (domain === 'event' && t === owner.lastEvent) owner.lastEvent = NaN;
    out[0] = t;
    return id;
  }
  return -1;
}

function checkTime(t: number, what: string): void {
  if (typeof t !== 'number' || Number.isNaN(t)) {
    throw new SabreError('ERR_USER_FUNCTION', `ctx.timers.${what}(${String(t)}): a timer's time must be a number (epoch ms)`);
  }
}
