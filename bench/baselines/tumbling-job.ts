// The windowed job as a Node developer would write it without Sabre: per-key
// maps of window aggregates, one event-time timer per (key, window) in a
// min-heap (the Flink timer-service pattern), bounded-out-of-orderness
// watermark. It implements docs/SEMANTICS.md for tumbling windows with
// count/sum/min/max and no allowed lateness, on one partition.

export interface WindowResult {
  key: string;
  start: number;
  end: number;
  count: number;
  sum: number;
  min: number;
  max: number;
  fire: 'watermark';
}

export interface KeyedValue {
  key: string;
  ts: number;
  value: number;
}

interface Agg {
  count: number;
  sum: number;
  min: number;
  max: number;
}

interface Timer {
  end: number;
  key: string;
  start: number;
}

export class TumblingWindowJob {
  private readonly windows = new Map<string, Map<number, Agg>>();
  private readonly timers = new MinHeap<Timer>((a, b) => a.end - b.end);
  private maxTs = -Infinity;
  private watermark = -Infinity;
  /** Records whose window had already fired (dropped, counted). */
  late = 0;

  constructor(
    private readonly windowMs: number,
    private readonly outOfOrderness: number,
    private readonly emit: (result: WindowResult) => void,
  ) {}

  process(r: KeyedValue): void {
    const start = Math.floor(r.ts / this.windowMs) * this.windowMs;
    const end = start + this.windowMs;
    if (end <= this.watermark) {
      this.late++;
      return;
    }
    let perKey = this.windows.get(r.key);
    if (perKey === undefined) {
      perKey = new Map();
      this.windows.set(r.key, perKey);
    }
    let agg = perKey.get(start);
    if (agg === undefined) {
      agg = { count: 0, sum: 0, min: Infinity, max: -Infinity };
      perKey.set(start, agg);
      this.timers.push({ end, key: r.key, start });
    }
    agg.count++;
    agg.sum += r.value;
    if (r.value < agg.min) agg.min = r.value;
    if (r.value > agg.max) agg.max = r.value;
    if (r.ts > this.maxTs) {
      this.maxTs = r.ts;
      this.watermark = this.maxTs - this.outOfOrderness;
      this.fireUpTo(this.watermark);
    }
  }

  /** End of input: every open window fires. */
  end(): void {
    this.watermark = Infinity;
    this.fireUpTo(Infinity);
  }

  private fireUpTo(wm: number): void {
    const timers = this.timers;
    while (timers.size > 0 && timers.peek()!.end <= wm) {
      const t = timers.pop()!;
      const perKey = this.windows.get(t.key)!;
      const agg = perKey.get(t.start)!;
      perKey.delete(t.start);
      if (perKey.size === 0) this.windows.delete(t.key);
      this.emit({ key: t.key, start: t.start, end: t.end, count: agg.count, sum: agg.sum, min: agg.min, max: agg.max, fire: 'watermark' });
    }
  }
}

/** A binary min-heap, as found in any Node codebase that needs timers. */
export class MinHeap<T> {
  private readonly items: T[] = [];

  constructor(private readonly compare: (a: T, b: T) => number) {}

  get size(): number {
    return this.items.length;
  }

  peek(): T | undefined {
    return this.items[0];
  }

  push(item: T): void {
    const a = this.items;
    a.push(item);
    let i = a.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (this.compare(a[i]!, a[parent]!) >= 0) break;
      [a[i], a[parent]] = [a[parent]!, a[i]!];
      i = parent;
    }
  }

  pop(): T | undefined {
    const a = this.items;
    const top = a[0];
    const last = a.pop();
    if (a.length > 0 && last !== undefined) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && this.compare(a[l]!, a[m]!) < 0) m = l;
        if (r < a.length && this.compare(a[r]!, a[m]!) < 0) m = r;
        if (m === i) break;
        [a[i], a[m]] = [a[m]!, a[i]!];
        i = m;
      }
    }
    return top;
  }
}
