// The Recorder pattern (HdrHistogram's Recorder): values go into an active
// counts array; swap() hands the filled one out as an interval snapshot and
// records on into the spare. One thread records and the same thread swaps,
// so no synchronisation is needed: a worker swaps between two batches.
import type { JsHistogram } from 'hdr-histogram-js';
import { COUNTS_LENGTH, HIGHEST_US, clampMicros, countsIndex, valueFromIndex } from './hdr-layout.js';

export type Clock = () => number;

/** Wall-clock milliseconds, comparable across threads (the frames' ingest stamps use the same clock). */
export const wallClock: Clock = () => performance.timeOrigin + performance.now();

/**
 * What one interval recorded. Owned by the recorder and reused: it is valid
 * until the next swap(), so consume (encode or merge) it before swapping again.
 */
export class IntervalCounts {
  counts: Float64Array<ArrayBuffer> = new Float64Array(0);
  /** Number of values recorded (sum of counts). */
  total = 0;
  /** Exact sum of the recorded (clamped) values, µs. */
  sum = 0;
  /** Smallest and largest recorded value, µs (min > max when empty). */
  min = HIGHEST_US + 1;
  max = -1;
  /** counts[i] is zero outside lo … hi (lo > hi when empty). */
  lo = COUNTS_LENGTH;
  hi = -1;
  startMs = 0;
  endMs = 0;

  /** Add these counts into an hdr-histogram-js histogram built by createHistogram(). */
  addTo(h: JsHistogram): void {
    addCounts(h, this.counts, this.lo, this.hi);
  }
}

/** Add counts[lo..hi] (Sabre's layout) into an hdr-histogram-js histogram with the same layout. */
export function addCounts(h: JsHistogram, counts: ArrayLike<number>, lo: number, hi: number): void {
  for (let i = lo; i <= hi; i++) {
    const c = counts[i]!;
    if (c > 0) h.recordValueWithCount(valueFromIndex(i), c);
  }
}

export class LatencyRecorder {
  private active = new Float64Array(COUNTS_LENGTH);
  private total = 0;
  private sum = 0;
  private min = HIGHEST_US + 1;
  private max = -1;
  private startMs: number;
  private readonly interval = new IntervalCounts();

  constructor(private readonly clock: Clock = wallClock) {
    this.interval.counts = new Float64Array(COUNTS_LENGTH);
    this.startMs = clock();
  }

  /** Record one value in microseconds. Never allocates, never throws. */
  recordValue(us: number): void {
    this.recordValueWithCount(us, 1);
  }

  /**
   * Record `n` occurrences of a value in microseconds — e.g. once per batch
   * with n = the batch size. Never allocates, never throws; n <= 0 is ignored.
   */
  recordValueWithCount(us: number, n: number): void {
    if (!(n > 0)) return;
    const v = clampMicros(us);
    this.active[countsIndex(v)]! += n;
    this.total += n;
    this.sum += v * n;
    if (v < this.min) this.min = v;
    if (v > this.max) this.max = v;
  }

  /** Record the time from `fromMs` to `toMs` (wall ms) in µs, `n` times. */
  recordSince(fromMs: number, toMs: number, n: number): void {
    this.recordValueWithCount((toMs - fromMs) * 1000, n);
  }

  /** Values recorded since the last swap. */
  get pending(): number {
    return this.total;
  }

  /**
   * Take the interval snapshot: everything recorded since the previous swap.
   * Recording continues into the spare array, which is cleared here (only
   * the range the previous interval used), so nothing is counted twice.
   */
  swap(): IntervalCounts {
    const iv = this.interval;
    const spare = iv.counts;
    if (iv.lo <= iv.hi) spare.fill(0, iv.lo, iv.hi + 1);
    iv.counts = this.active;
    this.active = spare;
    iv.total = this.total;
    iv.sum = this.sum;
    iv.min = this.min;
    iv.max = this.max;
    // Counts indices are monotonic in the value, so min/max bound the touched range.
    iv.lo = this.total > 0 ? countsIndex(this.min) : COUNTS_LENGTH;
    iv.hi = this.total > 0 ? countsIndex(this.max) : -1;
    iv.startMs = this.startMs;
    iv.endMs = this.clock();
    this.startMs = iv.endMs;
    this.total = 0;
    this.sum = 0;
    this.min = HIGHEST_US + 1;
    this.max = -1;
    return iv;
  }
}
