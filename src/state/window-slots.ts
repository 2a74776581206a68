/** Slot flags. */
export const S_ALIVE = 1;
/** The window fired at least once (later firings are "late"). */
export const S_FIRED = 2;
/** Updated since its last firing (for early firings). */
export const S_DIRTY = 4;

/**
 * Layout of one slot: 96 bytes, contiguous, so the per-record update of a
 * window touches one or two cache lines instead of one per field. Float64
 * fields are indexed in `f` at s * F_STRIDE + F_*, int32 fields in `i` at
 * s * I_STRIDE + I_* (the same bytes, seen through an Int32Array).
 */
export const F_START = 0;
export const F_END = 1;
export const F_COUNT = 2;
export const F_SUM = 3;
export const F_MIN = 4;
export const F_MAX = 5;
/** Largest ingest time folded in since the last firing (early-firing latency). */
export const F_INGEST = 6;
/** The end the window last fired at on the watermark (a session's end can move); NaN before. */
export const F_FIRED_END = 7;
export const F_STRIDE = 12;
export const I_KEY = 16; // key id
export const I_NEXT = 17; // next slot of the same key, -1 = none
export const I_FLAGS = 18;
export const I_GEN = 19; // bumped on free, so timers for a dead slot are recognised
export const I_PARTITION = 20; // local partition index
export const I_STRIDE = F_STRIDE * 2;

/**
 * Window state, one slot per (key, window). Slots of one key form a singly
 * linked list from KeyTable's first-window field. Freed slots are reused.
 */
export class WindowSlots {
  f: Float64Array;
  i: Int32Array;
  /** User aggregate accumulators (only when a user aggregate is loaded). */
  user: unknown[] = [];
  private freeHead = -1;
  private used = 0;
  private cap: number;
  live = 0;

  constructor(initialCapacity = 1024) {
    this.cap = Math.max(16, initialCapacity);
    const buf = new ArrayBuffer(this.cap * F_STRIDE * 8);
    this.f = new Float64Array(buf);
    this.i = new Int32Array(buf);
  }

  get capacity(): number {
    return this.cap;
  }

  /** A fresh, empty slot (aggregates at their identities). */
  alloc(keyId: number, partition: number, start: number, end: number): number {
    let s = this.freeHead;
    if (s >= 0) this.freeHead = this.i[s * I_STRIDE + I_NEXT]!;
    else {
      if (this.used === this.cap) this.grow();
      s = this.used++;
    }
    const f = this.f;
    const fb = s * F_STRIDE;
    f[fb + F_START] = start;
    f[fb + F_END] = end;
    f[fb + F_COUNT] = 0;
    f[fb + F_SUM] = 0;
    f[fb + F_MIN] = Infinity;
    f[fb + F_MAX] = -Infinity;
    f[fb + F_INGEST] = 0;
    f[fb + F_FIRED_END] = NaN;
    const i = this.i;
    const ib = s * I_STRIDE;
    i[ib + I_KEY] = keyId;
    i[ib + I_NEXT] = -1;
    i[ib + I_FLAGS] = S_ALIVE;
    i[ib + I_PARTITION] = partition;
    this.live++;
    return s;
  }

  free(s: number): void {
    const ib = s * I_STRIDE;
    this.i[ib + I_FLAGS] = 0;
    this.i[ib + I_GEN] = (this.i[ib + I_GEN]! + 1) | 0;
    if (this.user.length > s) this.user[s] = undefined;
    this.i[ib + I_NEXT] = this.freeHead;
    this.freeHead = s;
    this.live--;
  }

  /** Slots ever allocated (the upper bound for scans). */
  get highWater(): number {
    return this.used;
  }

  // Cold-path accessors (snapshots, emit, tests).
  start(s: number): number { return this.f[s * F_STRIDE + F_START]!; }
  end(s: number): number { return this.f[s * F_STRIDE + F_END]!; }
  float(s: number, field: number): number { return this.f[s * F_STRIDE + field]!; }
  int(s: number, field: number): number { return this.i[s * I_STRIDE + field]!; }

  private grow(): void {
    this.cap *= 2;
    const buf = new ArrayBuffer(this.cap * F_STRIDE * 8);
    const f = new Float64Array(buf);
    f.set(this.f);
    this.f = f;
    this.i = new Int32Array(buf);
  }

  bytes(): number {
    return this.f.byteLength;
  }
}
