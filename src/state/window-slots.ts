/** Slot flags. */
export const S_ALIVE = 1;
/** The window fired at least once (later firings are "late"). */
export const S_FIRED = 2;
/** Updated since its last firing (for early firings). */
export const S_DIRTY = 4;

/**
 * Window state, one slot per (key, window), as parallel typed arrays so the
 * per-record update is a few indexed stores. Slots of one key form a singly
 * linked list from KeyTable.firstWindow. Freed slots are reused; `gen` is
 * bumped on free so queue entries for a dead slot can be recognised.
 */
export class WindowSlots {
  keyId: Int32Array;
  next: Int32Array;
  flags: Int32Array;
  gen: Int32Array;
  partition: Int32Array;
  start: Float64Array;
  end: Float64Array;
  count: Float64Array;
  sum: Float64Array;
  min: Float64Array;
  max: Float64Array;
  /** Largest ingest time folded in since the last firing (early-firing latency). */
  ingest: Float64Array;
  /** The end the window last fired at on the watermark (a session's end can move). */
  firedEnd: Float64Array;
  /** User aggregate accumulators (only when a user aggregate is loaded). */
  user: unknown[] = [];
  private freeHead = -1;
  private used = 0;
  live = 0;

  constructor(initialCapacity = 1024) {
    const c = Math.max(16, initialCapacity);
    this.keyId = new Int32Array(c);
    this.next = new Int32Array(c);
    this.flags = new Int32Array(c);
    this.gen = new Int32Array(c);
    this.partition = new Int32Array(c);
    this.start = new Float64Array(c);
    this.end = new Float64Array(c);
    this.count = new Float64Array(c);
    this.sum = new Float64Array(c);
    this.min = new Float64Array(c);
    this.max = new Float64Array(c);
    this.ingest = new Float64Array(c);
    this.firedEnd = new Float64Array(c);
  }

  get capacity(): number {
    return this.keyId.length;
  }

  /** A fresh, empty slot (aggregates at their identities). */
  alloc(keyId: number, partition: number, start: number, end: number): number {
    let s = this.freeHead;
    if (s >= 0) this.freeHead = this.next[s]!;
    else {
      if (this.used === this.keyId.length) this.grow();
      s = this.used++;
    }
    this.keyId[s] = keyId;
    this.partition[s] = partition;
    this.flags[s] = S_ALIVE;
    this.start[s] = start;
    this.end[s] = end;
    this.count[s] = 0;
    this.sum[s] = 0;
    this.min[s] = Infinity;
    this.max[s] = -Infinity;
    this.ingest[s] = 0;
    this.firedEnd[s] = NaN;
    this.next[s] = -1;
    this.live++;
    return s;
  }

  free(s: number): void {
    this.flags[s] = 0;
    this.gen[s] = (this.gen[s]! + 1) | 0;
    if (this.user.length > s) this.user[s] = undefined;
    this.next[s] = this.freeHead;
    this.freeHead = s;
    this.live--;
  }

  /** Slots ever allocated (the upper bound for scans). */
  get highWater(): number {
    return this.used;
  }

  private grow(): void {
    const c = this.keyId.length * 2;
    this.keyId = gi(this.keyId, c);
    this.next = gi(this.next, c);
    this.flags = gi(this.flags, c);
    this.gen = gi(this.gen, c);
    this.partition = gi(this.partition, c);
    this.start = gf(this.start, c);
    this.end = gf(this.end, c);
    this.count = gf(this.count, c);
    this.sum = gf(this.sum, c);
    this.min = gf(this.min, c);
    this.max = gf(this.max, c);
    this.ingest = gf(this.ingest, c);
    this.firedEnd = gf(this.firedEnd, c);
  }

  bytes(): number {
    return this.keyId.length * (5 * 4 + 8 * 8);
  }
}

function gi(a: Int32Array, c: number): Int32Array {
  const b = new Int32Array(c);
  b.set(a);
  return b;
}

function gf(a: Float64Array, c: number): Float64Array {
  const b = new Float64Array(c);
  b.set(a);
  return b;
}
