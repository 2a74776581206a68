/** Slot flags. */
export const S_ALIVE = 1;
/** The window fired at least once (later firings are "late"). */
export const S_FIRED = 2;
/** Updated since its last firing (for early firings). */
export const S_DIRTY = 4;

/**
 * A slot is split in two rows. The hot row (64 bytes) holds everything a
 * record touches — the start it is matched on, the aggregates, the list link
 * and the flags — so the per-record update reads and writes one row that
 * spans at most two cache lines, and the hot rows of all live windows take
 * two thirds of the memory a single 96-byte row did. The cold row (32 bytes)
 * holds what only window creation, firing and session merges need.
 *
 * Hot row: float64 fields at f[s * F_STRIDE + F_*], int32 fields at
 * i[s * I_STRIDE + I_*] (the same bytes seen through an Int32Array).
 */
export const F_START = 0;
export const F_COUNT = 1;
export const F_SUM = 2;
export const F_MIN = 3;
export const F_MAX = 4;
/** Largest ingest time folded in since the last firing (early-firing latency; kept only with early firings). */
export const F_MAX_INGEST = 5;
export const F_STRIDE = 8;
export const I_NEXT = 12; // next slot of the same key, -1 = none
export const I_FLAGS = 13;
export const I_KEY = 14; // key id
export const I_GEN = 15; // bumped on free, so timers for a dead slot are recognised
export const I_STRIDE = F_STRIDE * 2;

/** Cold row: float64 fields at cold[s * C_STRIDE + C_*], int32 fields at coldI[s * CI_STRIDE + CI_*]. */
export const C_END = 0;
/** The end the window last fired at on the watermark (a session's end can move); NaN before. */
export const C_FIRED_END = 1;
export const C_STRIDE = 4;
export const CI_PARTITION = 4; // local partition index
export const CI_PREV = 5; // previous slot of the same key, -1 = none (the list's head): a purge unlinks without a walk
export const CI_STRIDE = C_STRIDE * 2;

/**
 * Field ids of the cold row for the accessors float()/int(), which take hot
 * field constants as they are and cold ones offset by COLD.
 */
const COLD = 64;
export const F_END = COLD + C_END;
export const F_FIRED_END = COLD + C_FIRED_END;
export const I_PARTITION = COLD + CI_PARTITION;
export const I_PREV = COLD + CI_PREV;

/**
 * Window state, one slot per (key, window). Slots of one key form a doubly
 * linked list from the key's bucket (KeyTable B_FIRST): I_NEXT in the hot
 * row, CI_PREV in the cold one. Freed slots are reused.
 */
export class WindowSlots {
  f: Float64Array;
  i: Int32Array;
  cold: Float64Array;
  coldI: Int32Array;
  /** User aggregate accumulators (only when a user aggregate is loaded). */
  user: unknown[] = [];
  private freeHead = -1;
  private used = 0;
  private cap: number;
  live = 0;
  /** Most slots live at once since the table was made (memory figures, checks). */
  peakLive = 0;

  constructor(initialCapacity = 1024) {
    this.cap = Math.max(16, initialCapacity);
    const hot = new ArrayBuffer(this.cap * F_STRIDE * 8);
    this.f = new Float64Array(hot);
    this.i = new Int32Array(hot);
    const cold = new ArrayBuffer(this.cap * C_STRIDE * 8);
    this.cold = new Float64Array(cold);
    this.coldI = new Int32Array(cold);
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
    f[fb + F_COUNT] = 0;
    f[fb + F_SUM] = 0;
    f[fb + F_MIN] = Infinity;
    f[fb + F_MAX] = -Infinity;
    f[fb + F_MAX_INGEST] = 0;
    const i = this.i;
    const ib = s * I_STRIDE;
    i[ib + I_KEY] = keyId;
    i[ib + I_NEXT] = -1;
    i[ib + I_FLAGS] = S_ALIVE;
    const cb = s * C_STRIDE;
    this.cold[cb + C_END] = end;
    this.cold[cb + C_FIRED_END] = NaN;
    this.coldI[s * CI_STRIDE + CI_PARTITION] = partition;
    this.coldI[s * CI_STRIDE + CI_PREV] = -1;
    if (++this.live > this.peakLive) this.peakLive = this.live;
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

  // Cold-path accessors (snapshots, emit, session merges, tests). Fields are the F_*/I_* constants, hot or cold.
  start(s: number): number { return this.f[s * F_STRIDE + F_START]!; }
  end(s: number): number { return this.cold[s * C_STRIDE + C_END]!; }
  setEnd(s: number, end: number): void { this.cold[s * C_STRIDE + C_END] = end; }
  float(s: number, field: number): number {
    return field < COLD ? this.f[s * F_STRIDE + field]! : this.cold[s * C_STRIDE + field - COLD]!;
  }
  int(s: number, field: number): number {
    return field < COLD ? this.i[s * I_STRIDE + field]! : this.coldI[s * CI_STRIDE + field - COLD]!;
  }

  private grow(): void {
    this.cap *= 2;
    const hot = new ArrayBuffer(this.cap * F_STRIDE * 8);
    const f = new Float64Array(hot);
    f.set(this.f);
    this.f = f;
    this.i = new Int32Array(hot);
    const coldBuf = new ArrayBuffer(this.cap * C_STRIDE * 8);
    const cold = new Float64Array(coldBuf);
    cold.set(this.cold);
    this.cold = cold;
    this.coldI = new Int32Array(coldBuf);
  }

  bytes(): number {
    return this.f.byteLength + this.cold.byteLength;
  }
}
