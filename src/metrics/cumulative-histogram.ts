// A run-long histogram on the main thread: interval snapshots are merged into
// an hdr-histogram-js histogram (for percentiles and the .hgrm text), with
// the exact count, sum, min and max kept beside it. Percentiles are cached
// until the next merge, so building a snapshot every second costs nothing
// for histograms that did not change.
import type { JsHistogram } from 'hdr-histogram-js';
import { clampMicros, countsIndex, createHistogram, valueFromIndex } from './hdr-layout.js';
import type { IntervalCounts } from './latency-recorder.js';
import type { DecodedBlock } from './snapshot-codec.js';
import type { Quantiles } from './stats-snapshot.js';

export const EMPTY_QUANTILES: Readonly<Quantiles> = Object.freeze({
  count: 0, sum: 0, mean: 0, min: 0, p50: 0, p90: 0, p99: 0, p999: 0, max: 0,
});

export interface DistributionPoint {
  /** 0 … 100 */
  percentile: number;
  value: number;
  /** Values ≤ value. */
  count: number;
}

export class CumulativeHistogram {
  readonly h: JsHistogram = createHistogram();
  count = 0;
  sum = 0;
  min = Infinity;
  max = -Infinity;
  private cached: Quantiles | undefined;
  private cachedScale = 1;

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
  }

  private note(count: number, sum: number, min: number, max: number): void {
    this.count += count;
    this.sum += sum;
    if (min < this.min) this.min = min;
    if (max > this.max) this.max = max;
    this.cached = undefined;
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
   * The full percentile distribution at HdrHistogram's ticks (halving the
   * remaining distance to 100% in `ticksPerHalfDistance` steps), values / scale.
   */
  distribution(ticksPerHalfDistance = 5, scale = 1): DistributionPoint[] {
    const out: DistributionPoint[] = [];
    if (this.count === 0) return out;
    const total = this.count;
    for (let half = 0; half < 20; half++) {
      const base = 100 - 100 / 2 ** half;
      const step = 100 / 2 ** (half + 1) / ticksPerHalfDistance;
      for (let t = 0; t < ticksPerHalfDistance; t++) {
        const p = base + t * step;
        const v = this.h.getValueAtPercentile(p);
        out.push({ percentile: p, value: Math.min(v, this.max) / scale, count: Math.ceil((p / 100) * total) });
        if (Math.min(v, this.max) >= this.max) return this.finish(out, scale);
      }
    }
    return this.finish(out, scale);
  }

  private finish(out: DistributionPoint[], scale: number): DistributionPoint[] {
    out.push({ percentile: 100, value: this.max / scale, count: this.count });
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
