/**
 * Binary min-heap of (time, slot, gen) in typed arrays: the event-time timers
 * of one partition. Entries are never removed early; the owner checks on pop
 * that the slot's generation (and whatever else it needs) still matches, so
 * moving a session's end or freeing a slot is O(1).
 */
export class TimerQueue {
  private time: Float64Array;
  private slot: Int32Array;
  private gen: Int32Array;
  size = 0;

  constructor(initialCapacity = 256) {
    this.time = new Float64Array(initialCapacity);
    this.slot = new Int32Array(initialCapacity);
    this.gen = new Int32Array(initialCapacity);
  }

  /** Earliest time, +Infinity when empty. */
  peekTime(): number {
    return this.size === 0 ? Infinity : this.time[0]!;
  }

  peekSlot(): number {
    return this.slot[0]!;
  }

  peekGen(): number {
    return this.gen[0]!;
  }

  push(t: number, s: number, g: number): void {
    if (this.size === this.time.length) this.grow();
    let i = this.size++;
    const time = this.time;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (time[parent]! <= t) break;
      time[i] = time[parent]!;
      this.slot[i] = this.slot[parent]!;
      this.gen[i] = this.gen[parent]!;
      i = parent;
    }
    time[i] = t;
    this.slot[i] = s;
    this.gen[i] = g;
  }

  /** Remove the earliest entry (read it with peek* first). */
  pop(): void {
    const n = --this.size;
    if (n === 0) return;
    const time = this.time;
    const t = time[n]!;
    const s = this.slot[n]!;
    const g = this.gen[n]!;
    let i = 0;
    for (;;) {
      let c = 2 * i + 1;
      if (c >= n) break;
      if (c + 1 < n && time[c + 1]! < time[c]!) c++;
      if (time[c]! >= t) break;
      time[i] = time[c]!;
      this.slot[i] = this.slot[c]!;
      this.gen[i] = this.gen[c]!;
      i = c;
    }
    time[i] = t;
    this.slot[i] = s;
    this.gen[i] = g;
  }

  bytes(): number {
    return this.time.byteLength + this.slot.byteLength + this.gen.byteLength;
  }

  private grow(): void {
    const c = this.time.length * 2;
    const t = new Float64Array(c); t.set(this.time); this.time = t;
    const s = new Int32Array(c); s.set(this.slot); this.slot = s;
    const g = new Int32Array(c); g.set(this.gen); this.gen = g;
  }
}
