// The single-threaded reference of docs/SEMANTICS.md ("Windows", "Watermarks,
// firing and lateness", "Aggregates and output"), used as the oracle for the
// engine and the baselines. It is written to be read next to that page, not
// to be fast: plain objects and arrays, no code shared with the engine (an
// oracle that imports what it checks proves nothing).

export interface RefRecord {
  key: string;
  ts: number;
  value: number;
}

export type RefWindow =
  | { kind: 'tumbling'; size: number }
  | { kind: 'sliding'; size: number; slide: number }
  | { kind: 'session'; gap: number };

export interface RefUserAggregate {
  name: string;
  init(): unknown;
  add(acc: unknown, v: number): unknown;
  merge(a: unknown, b: unknown): unknown;
  result(acc: unknown): unknown;
}

export interface RefOptions {
  window: RefWindow;
  /** Subset and order of 'count','sum','min','max','avg' and/or the user aggregate's name. */
  aggregates: string[];
  userAggregate?: RefUserAggregate;
  outOfOrderness: number;
  allowedLateness: number;
  partitions: number;
  partitionOf(key: string): number;
}

export type RefFire = 'watermark' | 'late';

export interface RefResult {
  key: string;
  start: number;
  end: number;
  fire: RefFire;
  [agg: string]: unknown;
}

const BUILT_IN = new Set(['count', 'sum', 'min', 'max', 'avg']);

interface Acc {
  count: number;
  sum: number;
  min: number;
  max: number;
  user: unknown;
}

interface Win {
  key: string;
  start: number;
  end: number;
  acc: Acc;
  /** Has emitted its current contents (so it must not fire on the watermark again). */
  fired: boolean;
  /** A session window that absorbed an already-fired window: its next watermark firing is "late". */
  absorbedFired: boolean;
}

/** Every sliding window [s, s+size) with s a multiple of slide and s <= ts < s+size, ascending by start. */
export function assignSliding(ts: number, size: number, slide: number): number[] {
  const starts: number[] = [];
  for (let s = Math.floor(ts / slide) * slide; s > ts - size; s -= slide) starts.unshift(s);
  return starts;
}

export function assignTumbling(ts: number, size: number): number {
  return Math.floor(ts / size) * size;
}

/** JSON lines, sorted: firing order across keys and partitions is not part of the contract. */
export function canonicalLines(results: RefResult[]): string[] {
  return results.map((r) => JSON.stringify(r)).sort();
}

export function runReference(records: RefRecord[], opts: RefOptions): { results: RefResult[]; late: RefRecord[] } {
  validate(opts);
  const results: RefResult[] = [];
  const late: RefRecord[] = [];
  const partitions: Partition[] = [];
  for (let p = 0; p < opts.partitions; p++) partitions.push(new Partition(opts, results, late));
  // Partitions are independent, so feeding them in input order is the same as
  // running each on its own sub-sequence (records of a partition stay in input order).
  for (const r of records) {
    const p = opts.partitionOf(r.key);
    if (!Number.isInteger(p) || p < 0 || p >= opts.partitions) {
      throw new Error(`partitionOf(${JSON.stringify(r.key)}) returned ${p}, expected an integer in [0, ${opts.partitions})`);
    }
    partitions[p]!.onRecord(r);
  }
  for (const partition of partitions) partition.onEnd();
  return { results, late };
}

function validate(opts: RefOptions): void {
  const w = opts.window;
  const sizes = w.kind === 'tumbling' ? [w.size] : w.kind === 'sliding' ? [w.size, w.slide] : [w.gap];
  if (!sizes.every((n) => Number.isFinite(n) && n > 0)) throw new Error(`window sizes must be positive: ${JSON.stringify(w)}`);
  if (!(opts.outOfOrderness >= 0) || !(opts.allowedLateness >= 0)) throw new Error('outOfOrderness and allowedLateness must be >= 0');
  if (!Number.isInteger(opts.partitions) || opts.partitions < 1) throw new Error('partitions must be a positive integer');
  if (opts.userAggregate && BUILT_IN.has(opts.userAggregate.name)) throw new Error(`user aggregate name ${opts.userAggregate.name} shadows a built-in`);
  for (const a of opts.aggregates) {
    if (!BUILT_IN.has(a) && a !== opts.userAggregate?.name) throw new Error(`unknown aggregate ${a}`);
  }
}

/** One partition's state: its own maxTs, watermark and windows (per-partition watermarks). */
class Partition {
  private maxTs = -Infinity;
  private wm = -Infinity;
  /** Retained windows per key, sorted by start. */
  private readonly windows = new Map<string, Win[]>();

  constructor(
    private readonly opts: RefOptions,
    private readonly results: RefResult[],
    private readonly late: RefRecord[],
  ) {}

  onRecord(r: RefRecord): void {
    // Step 1: assign, update the non-expired windows, late-fire the already-fired ones.
    const updated = this.opts.window.kind === 'session' ? this.assignSession(r) : this.assignFixed(r);
    if (updated.length === 0) {
      // Late: nothing else happens (it moves neither maxTs nor the watermark).
      this.late.push(r);
      return;
    }
    for (const w of updated) {
      if (w.end <= this.wm) this.fire(w, 'late');
    }
    // Step 2.
    this.maxTs = Math.max(this.maxTs, r.ts);
    const wm = this.maxTs - this.opts.outOfOrderness;
    // Step 3. Nothing can become fireable or droppable unless the watermark
    // moved: windows created at or below it in step 1 were late-fired there.
    if (wm > this.wm) this.advance(wm);
  }

  onEnd(): void {
    this.advance(Infinity);
  }

  private expired(end: number): boolean {
    return end + this.opts.allowedLateness <= this.wm;
  }

  /** Tumbling and sliding: returns the windows the record updated (none: it is late). */
  private assignFixed(r: RefRecord): Win[] {
    const w = this.opts.window;
    if (w.kind === 'session') return [];
    const starts = w.kind === 'tumbling' ? [assignTumbling(r.ts, w.size)] : assignSliding(r.ts, w.size, w.slide);
    const updated: Win[] = [];
    for (const start of starts) {
      const end = start + w.size;
      if (this.expired(end)) continue;
      const list = this.windowsOf(r.key);
      let win = list.find((x) => x.start === start);
      if (win === undefined) {
        win = { key: r.key, start, end, acc: this.newAcc(), fired: false, absorbedFired: false };
        list.push(win);
        list.sort((a, b) => a.start - b.start);
      }
      this.add(win.acc, r.value);
      updated.push(win);
    }
    return updated;
  }

  /** Session: returns [merged window], or [] when the record is late. */
  private assignSession(r: RefRecord): Win[] {
    const w = this.opts.window;
    if (w.kind !== 'session') return [];
    const list = this.windowsOf(r.key);
    const protoStart = r.ts;
    const protoEnd = r.ts + w.gap;
    const overlapping = list.filter((x) => x.start < protoEnd && r.ts < x.end); // already ascending by start
    if (overlapping.length === 0) {
      if (this.expired(protoEnd)) return [];
      const win: Win = { key: r.key, start: protoStart, end: protoEnd, acc: this.newAcc(), fired: false, absorbedFired: false };
      this.add(win.acc, r.value);
      list.push(win);
      list.sort((a, b) => a.start - b.start);
      return [win];
    }
    // Retained windows are never expired (step 3 drops them), and the merged
    // window ends no earlier than any of them, so it is not expired either.
    const first = overlapping[0]!;
    const anyFired = overlapping.some((x) => x.fired || x.absorbedFired);
    let start = Math.min(protoStart, first.start);
    let end = Math.max(protoEnd, first.end);
    for (const other of overlapping.slice(1)) {
      this.mergeInto(first.acc, other.acc);
      start = Math.min(start, other.start);
      end = Math.max(end, other.end);
      list.splice(list.indexOf(other), 1);
    }
    this.add(first.acc, r.value);
    first.start = start;
    first.end = end;
    // Its contents changed, so it has not fired as it is now; if any part of
    // it had fired, its next firing is a correction ("late").
    first.fired = false;
    first.absorbedFired = anyFired;
    list.sort((a, b) => a.start - b.start);
    return [first];
  }

  private advance(wm: number): void {
    this.wm = wm;
    const fireable: Win[] = [];
    for (const list of this.windows.values()) {
      for (const win of list) if (win.end <= wm && !win.fired) fireable.push(win);
    }
    fireable.sort((a, b) => a.end - b.end || a.start - b.start || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    for (const win of fireable) this.fire(win, win.absorbedFired ? 'late' : 'watermark');
    for (const [key, list] of this.windows) {
      const kept = list.filter((win) => !this.expired(win.end));
      if (kept.length === 0) this.windows.delete(key);
      else this.windows.set(key, kept);
    }
  }

  private fire(win: Win, fire: RefFire): void {
    win.fired = true;
    win.absorbedFired = false;
    const line: RefResult = { key: win.key, start: win.start, end: win.end } as RefResult;
    for (const name of this.opts.aggregates) line[name] = this.aggregateValue(win.acc, name);
    line.fire = fire;
    this.results.push(line);
  }

  private aggregateValue(acc: Acc, name: string): unknown {
    switch (name) {
      case 'count':
        return acc.count;
      case 'sum':
        return acc.sum;
      case 'min':
        return acc.min;
      case 'max':
        return acc.max;
      case 'avg':
        return acc.sum / acc.count;
      default:
        return this.opts.userAggregate!.result(acc.user);
    }
  }

  private windowsOf(key: string): Win[] {
    let list = this.windows.get(key);
    if (list === undefined) {
      list = [];
      this.windows.set(key, list);
    }
    return list;
  }

  private newAcc(): Acc {
    return { count: 0, sum: 0, min: Infinity, max: -Infinity, user: this.opts.userAggregate?.init() };
  }

  private add(acc: Acc, v: number): void {
    acc.count += 1;
    acc.sum += v;
    acc.min = Math.min(acc.min, v);
    acc.max = Math.max(acc.max, v);
    if (this.opts.userAggregate) acc.user = this.opts.userAggregate.add(acc.user, v);
  }

  private mergeInto(into: Acc, other: Acc): void {
    into.count += other.count;
    into.sum += other.sum;
    into.min = Math.min(into.min, other.min);
    into.max = Math.max(into.max, other.max);
    if (this.opts.userAggregate) into.user = this.opts.userAggregate.merge(into.user, other.user);
  }
}
