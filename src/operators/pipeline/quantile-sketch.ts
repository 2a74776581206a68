// A DDSketch-style quantile sketch (Masson et al., VLDB 2019): a value v > 0
// counts in bucket ceil(log_γ v), γ = (1+a)/(1−a); every value in bucket i
// lies in (γ^(i−1), γ^i], so answering 2γ^i/(γ+1) is within relative error a.
// Negative values use a mirrored store, zero its own count. Buckets are a
// dense Float64Array that grows (rarely) to cover new indexes, so adding a
// value allocates nothing; merging adds counts.

const ALPHA = 0.01;
const GAMMA = (1 + ALPHA) / (1 - ALPHA);
const LN_GAMMA = Math.log(GAMMA);

// Slots of QuantileSketch.h.
const H_COUNT = 0, H_ZERO = 1, H_MIN = 2, H_MAX = 3;

function bucketOf(abs: number): number {
  return Math.ceil(Math.log(abs) / LN_GAMMA);
}

function valueOf(i: number): number {
  return (2 * GAMMA ** i) / (GAMMA + 1);
}

/** Counts by bucket index: counts[i − offset]. */
class BucketStore {
  counts = new Float64Array(0);
  offset = 0;

  add(i: number, c: number): void {
    if (i < this.offset || i >= this.offset + this.counts.length) this.grow(i);
    this.counts[i - this.offset]! += c;
  }

  merge(o: BucketStore): void {
    const c = o.counts;
    for (let j = 0; j < c.length; j++) if (c[j]! > 0) this.add(o.offset + j, c[j]!);
  }

  /** Trimmed to the non-empty range: [first index, ...counts]. */
  save(): number[] {
    const c = this.counts;
    let lo = 0;
    let hi = c.length;
    while (lo < hi && c[lo] === 0) lo++;
    while (hi > lo && c[hi - 1] === 0) hi--;
    return lo === hi ? [] : [this.offset + lo, ...c.subarray(lo, hi)];
  }

  load(a: number[]): void {
    if (a.length < 2) return;
    this.offset = a[0]!;
    this.counts = Float64Array.from(a.slice(1));
  }

  private grow(i: number): void {
    const len = this.counts.length;
    if (len === 0) {
      this.counts = new Float64Array(64);
      this.offset = i - 32;
      return;
    }
    // Room to spare on the side that grew, so a drifting range does not copy on every new bucket.
    const slack = Math.max(32, len >> 1);
    let lo = this.offset;
    let hi = lo + len;
    if (i < lo) lo = i - slack;
    else hi = i + 1 + slack;
    const next = new Float64Array(hi - lo);
    next.set(this.counts, this.offset - lo);
    this.counts = next;
    this.offset = lo;
  }
}

/** Saved form of a QuantileSketch (JSON-safe: counts are integers, min/max finite; -0, which JSON writes as 0, as "-0"). */
export interface SavedSketch { n: number; z: number; min: number | '-0'; max: number | '-0'; pos: number[]; neg: number[] }

/** -0 survives JSON as "-0" (a sketch of only -0 must answer -0 after a restore, as before it). */
const keepSign = (x: number): number | '-0' => (Object.is(x, -0) ? '-0' : x);
const readSign = (x: number | '-0'): number => (x === '-0' ? -0 : x);

export class QuantileSketch {
  private readonly pos = new BucketStore();
  private readonly neg = new BucketStore();
  /** count, zeros, min, max (see H_*). */
  private readonly h = new Float64Array([0, 0, Infinity, -Infinity]);

  /** Count v; a non-finite v cannot be bucketed and is skipped. */
  add(v: number): void {
    if (v - v !== 0) return;
    const h = this.h;
    h[H_COUNT]! += 1;
    if (v < h[H_MIN]!) h[H_MIN] = v;
    if (v > h[H_MAX]!) h[H_MAX] = v;
    if (v > 0) this.pos.add(bucketOf(v), 1);
    else if (v < 0) this.neg.add(bucketOf(-v), 1);
    else h[H_ZERO]! += 1;
  }

  merge(o: QuantileSketch): void {
    const h = this.h;
    h[H_COUNT]! += o.h[H_COUNT]!;
    h[H_ZERO]! += o.h[H_ZERO]!;
    if (o.h[H_MIN]! < h[H_MIN]!) h[H_MIN] = o.h[H_MIN]!;
    if (o.h[H_MAX]! > h[H_MAX]!) h[H_MAX] = o.h[H_MAX]!;
    this.pos.merge(o.pos);
    this.neg.merge(o.neg);
  }

  /** The value of rank ⌊q·(n−1)⌋ (0-based, ascending) within 1% relative error; null when empty. */
  quantile(q: number): number | null {
    const h = this.h;
    const n = h[H_COUNT]!;
    if (n === 0) return null;
    const rank = Math.floor(q * (n - 1));
    let seen = 0;
    const nc = this.neg.counts;
    for (let j = nc.length - 1; j >= 0; j--) {
      seen += nc[j]!;
      if (seen > rank) return this.clamp(-valueOf(this.neg.offset + j));
    }
    seen += h[H_ZERO]!;
    if (seen > rank) return 0;
    const pc = this.pos.counts;
    for (let j = 0; j < pc.length; j++) {
      seen += pc[j]!;
      if (seen > rank) return this.clamp(valueOf(this.pos.offset + j));
    }
    return h[H_MAX]!;
  }

  save(): SavedSketch {
    const h = this.h;
    const n = h[H_COUNT]!;
    return { n, z: h[H_ZERO]!, min: n > 0 ? keepSign(h[H_MIN]!) : 0, max: n > 0 ? keepSign(h[H_MAX]!) : 0, pos: this.pos.save(), neg: this.neg.save() };
  }

  static load(s: SavedSketch): QuantileSketch {
    const q = new QuantileSketch();
    q.h[H_COUNT] = s.n;
    q.h[H_ZERO] = s.z;
    if (s.n > 0) {
      q.h[H_MIN] = readSign(s.min);
      q.h[H_MAX] = readSign(s.max);
    }
    q.pos.load(s.pos);
    q.neg.load(s.neg);
    return q;
  }

  /** An answer never lies outside the exact extremes. */
  private clamp(v: number): number {
    const h = this.h;
    return v < h[H_MIN]! ? h[H_MIN]! : v > h[H_MAX]! ? h[H_MAX]! : v;
  }
}
