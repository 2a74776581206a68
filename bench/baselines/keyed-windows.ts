// bench:pipeline baselines: event-time windows per key, written as a Node
// programmer would without an engine. Open windows live in a Map per window
// end holding a Map per key of accumulator objects; the watermark is the
// largest event time seen minus the bound (the job's out-of-orderness), and
// a window fires once the watermark reaches its end, in end order; end()
// fires the rest (Sabre's END). Records of windows already fired are late
// and counted, not added (allowed lateness 0). Window starts are multiples of
// the slide, as Sabre assigns them (src/state/window-operator.ts).

export interface WindowOut<A> { key: string; start: number; end: number; acc: A }

export class KeyedWindows<A> {
  private readonly open = new Map<number, Map<string, A>>();
  private maxTs = -Infinity;
  /** The smallest end not fired yet (ends are multiples of the slide). */
  private nextEnd = NaN;
  late = 0;

  constructor(private readonly size: number, private readonly slide: number, private readonly bound: number,
    private readonly init: () => A, private readonly fire: (w: WindowOut<A>) => void) {}

  /** The accumulators of every window of `key` that `ts` falls in, for the caller to update. */
  add(key: string, ts: number, update: (acc: A) => void): void {
    const r = ts % this.slide;
    const last = r < 0 ? ts - r - this.slide : ts - r;
    for (let start = last; start > ts - this.size; start -= this.slide) {
      const end = start + this.size;
      if (end <= this.maxTs - this.bound) {
        this.late++;
        continue;
      }
      let byKey = this.open.get(end);
      if (byKey === undefined) {
        byKey = new Map();
        this.open.set(end, byKey);
        if (!(end >= this.nextEnd)) this.nextEnd = end;
      }
      let acc = byKey.get(key);
      if (acc === undefined) {
        acc = this.init();
        byKey.set(key, acc);
      }
      update(acc);
    }
    if (ts > this.maxTs) {
      this.maxTs = ts;
      this.fireUpTo(ts - this.bound);
    }
  }

  /** Fire every open window: the input ended. */
  end(): void {
    this.fireUpTo(Infinity);
  }

  private fireUpTo(watermark: number): void {
    while (this.open.size > 0 && this.nextEnd <= watermark) {
      const end = this.nextEnd;
      const byKey = this.open.get(end);
      if (byKey !== undefined) {
        this.open.delete(end);
        for (const [key, acc] of byKey) this.fire({ key, start: end - this.size, end, acc });
      }
      this.nextEnd = end + this.slide;
      if (this.open.size > 0 && !this.open.has(this.nextEnd)) this.nextEnd = Math.min(...this.open.keys());
    }
  }
}
