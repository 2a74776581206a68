// A run-long histogram on the main thread: interval snapshots are merged into
// an hdr-histogram-js histogram (for percentiles and the .hgrm text), with
// the exact count, sum, min and max kept beside it. Percentiles are cached
// until the next merge, so building a snapshot every second costs nothing
// for histograms that did not change.
import type { JsHistogram } from 'hdr-histogram-js';
import { clampMicros, countsIndex, createHistogram, valueFromIndex } from './hdr-layout.js';
import type { IntervalCounts } from './latency-recorder.js';
import type { DecodedBlock } from './snapshot-codec.js';
import type { DistributionPoint, Quantiles } from './stats-snapshot.js';

export const EMPTY_QUANTILES: Readonly<Quantiles> = Object.freeze({
  count: 0, sum: 0, mean: 0, min: 0, p50: 0, p90: 0, p99: 0, p999: 0, max: 0,
});

export type { DistributionPoint };

/**
 * Percentile ticks per half distance to 100% in distributions (as in the
 * .hgrm text), and at most this many halvings: a distribution has at most
 * 5 × 40 + 1 points. 40 halvings resolve one value in 2^40 (≈ 10^12), so
 * only a histogram of more values than that has its far tail cut (the last
 * point is still the max).
 */
export const DISTRIBUTION_TICKS = 5;
export const DISTRIBUTION_MAX_HALVINGS = 40;

export class CumulativeHistogram {
  readonly h: JsHistogram = createHistogram();
  count = 0;
  sum = 0;
  min = Infinity;
  max = -Infinity;
  private cached: Quantiles | undefined;
  private cachedScale = 1;
  private cachedDist: DistributionPoint[] | undefined;
  private cachedDistScale = 1;

  addBlock(b: DecodedBlock): void {
    const f = b.f64;
    const end = b.at + 2 * b.pairs;
    for (let i = b.at; i < end; i += 2) this.h.recordValueWithCount(valueFromIndex(f[i]!), f[i + 1]!);
    this.note(b.total, b.sum, b.min, b.max);
  }

  addInterval(iv: IntervalCounts): void {
    if (iv.total === 0) return;
    iv.addTo(this.h);
    this.note(iv.total, iv.sum, iv.min, iv.max);
  }

  add(other: CumulativeHistogram): void {
    if (other.count === 0) return;
    this.h.add(other.h);
    this.note(other.count, other.sum, other.min, other.max);
  }

  reset(): void {
    this.h.reset();
    this.count = 0;
    this.sum = 0;
    this.min = Infinity;
    this.max = -Infinity;
    this.cached = undefined;
    this.cachedDist = undefined;
  }

  private note(count: number, sum: number, min: number, max: number): void {
    this.count += count;
    this.sum += sum;
    if (min < this.min) this.min = min;
    if (max > this.max) this.max = max;
    this.cached = undefined;
    this.cachedDist = undefined;
  }

  /** Percentile summary; values divided by `scale` (1000 turns µs into ms). */
  quantiles(scale = 1): Quantiles {
    if (this.count === 0) return { ...EMPTY_QUANTILES };
    if (this.cached && this.cachedScale === scale) return this.cached;
    // HDR answers with the highest value equivalent to the bucket; clamp to the exact extremes.
    const at = (p: number): number => Math.min(Math.max(this.h.getValueAtPercentile(p), this.min), this.max) / scale;
    this.cached = {
      count: this.count, sum: this.sum / scale, mean: this.sum / this.count / scale, min: this.min / scale,
      p50: at(50), p90: at(90), p99: at(99), p999: at(99.9), max: this.max / scale,
    };
    this.cachedScale = scale;
    return this.cached;
  }

  /**
   * The full percentile distribution: the points HdrHistogram's percentile
   * iterator stops at (DISTRIBUTION_TICKS per half distance to 100%, the
   * rows of hgrm()), in one pass over the buckets. Values / scale, clamped to
   * the exact min and max (HDR reports a bucket's highest equivalent value);
   * the last point is (max, 100, count). At most
   * DISTRIBUTION_TICKS × DISTRIBUTION_MAX_HALVINGS + 1 points. Cached until
   * the next merge; the array is shared, do not modify it.
   */
  distribution(scale = 1): DistributionPoint[] {
    if (this.cachedDist && this.cachedDistScale === scale) return this.cachedDist;
    const out: DistributionPoint[] = [];
    if (this.count > 0) {
      const cap = DISTRIBUTION_TICKS * DISTRIBUTION_MAX_HALVINGS;
      const it = this.h.percentileIterator;
      it.reset(DISTRIBUTION_TICKS);
      while (it.hasNext()) {
        const v = it.next();
        if (v.percentileLevelIteratedTo >= 100 || out.length >= cap) break;
        const value = Math.min(Math.max(v.valueIteratedTo, this.min), this.max) / scale;
        out.push({ value, percentile: v.percentileLevelIteratedTo, count: v.totalCountToThisValue });
      }
      out.push({ value: this.max / scale, percentile: 100, count: this.count });
    }
    this.cachedDist = out;
    this.cachedDistScale = scale;
    return out;
  }

  /**
   * Counts per range: out[i] counts values v with bounds[i-1] < v ≤ bounds[i]
   * (bounds ascending, in the histogram's unit; end with Infinity to catch
   * everything). A value is placed by its bucket's lowest equivalent value.
   */
  bucketCounts(bounds: readonly number[]): number[] {
    const out = bounds.map(() => 0);
    if (this.count === 0) return out;
    const last = countsIndex(clampMicros(this.max));
    let b = 0;
    for (let i = 0; i <= last; i++) {
      const c = this.h.getCountAtIndex(i);
      if (c === 0) continue;
      const v = valueFromIndex(i);
      while (b < bounds.length - 1 && v > bounds[b]!) b++;
      out[b]! += c;
    }
    return out;
  }

  /** HdrHistogram's percentile-distribution text (the .hgrm format), values / scale. */
  hgrm(scale = 1): string {
    return this.h.outputPercentileDistribution(5, scale);
  }
}
