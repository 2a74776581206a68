// The bucket layout shared by every latency/pause histogram in Sabre: values
// in microseconds, 1 µs … 60 s, 3 significant digits, exactly as
// hdr-histogram-js lays out a histogram built with those parameters.
//
// Why not record straight into hdr-histogram-js? Measured here (Node 20,
// 5 M recordValue calls after warm-up): Int32/Float64 JS histograms cost
// 130–200 ns a call (Math.log2/pow/floor per value), "packed" ~600 ns and it
// allocates whenever a bucket is touched for the first time (its packed
// array grows); the WASM build is ~25 ns but lives in WASM memory that must
// be destroy()ed by hand. None of the JS ones allocate in steady state, but
// at ~50 ns per timestamp a 150 ns record would triple the cost of a sample.
// So the recording side indexes a plain Float64Array with integer ops
// (Math.clz32, ~15 ns, never allocates), using HDR's formula, and the main
// thread merges those counts into real hdr-histogram-js histograms for
// percentiles and percentile-distribution output. The layout is pinned to
// hdr-histogram-js by test/unit/metrics/metrics-histogram.test.ts (every index agrees).
import { Float64Histogram, type JsHistogram } from 'hdr-histogram-js';

export const LOWEST_US = 1;
export const HIGHEST_US = 60_000_000;
export const SIGNIFICANT_DIGITS = 3;

// For lowest 1 and 3 digits: subBucketCount = 2^ceil(log2(2 * 10^3)) = 2048,
// so subBucketHalfCountMagnitude = 10 and unitMagnitude = 0.
const SUB_BUCKET_HALF_MAGNITUDE = 10;
const SUB_BUCKET_HALF_COUNT = 1 << SUB_BUCKET_HALF_MAGNITUDE; // 1024
const SUB_BUCKET_MASK = (SUB_BUCKET_HALF_COUNT << 1) - 1; // 2047
// 32-bit form of Java's leadingZeroCountBase (64 - unitMagnitude - halfMagnitude - 1).
const LEADING_ZERO_BASE_32 = 32 - SUB_BUCKET_HALF_MAGNITUDE - 1; // 21

/** hdr-histogram-js histogram with Sabre's parameters (counts as doubles: they never wrap). */
export function createHistogram(): JsHistogram {
  const h = new Float64Histogram(LOWEST_US, HIGHEST_US, SIGNIFICANT_DIGITS);
  h.autoResize = false;
  return h;
}

/** Length of the counts array of a histogram from createHistogram(). */
export const COUNTS_LENGTH: number = createHistogram().countsArrayLength;

/**
 * Clamp a microsecond reading into the trackable range as an integer. NaN and
 * negatives (clock steps) become 0; anything over 60 s is recorded as 60 s,
 * so the hot path never throws.
 */
export function clampMicros(us: number): number {
  return us > 0 ? (us < HIGHEST_US ? Math.trunc(us) : HIGHEST_US) : 0;
}

/** HDR counts index of a clamped value (an integer in 0 … HIGHEST_US). */
export function countsIndex(v: number): number {
  const bucket = LEADING_ZERO_BASE_32 - Math.clz32(v | SUB_BUCKET_MASK);
  return ((bucket + 1) << SUB_BUCKET_HALF_MAGNITUDE) + (v >>> bucket) - SUB_BUCKET_HALF_COUNT;
}

/** Lowest value that lands in counts index `i` (inverse of countsIndex). */
export function valueFromIndex(i: number): number {
  let bucket = (i >> SUB_BUCKET_HALF_MAGNITUDE) - 1;
  let sub = (i & (SUB_BUCKET_HALF_COUNT - 1)) + SUB_BUCKET_HALF_COUNT;
  if (bucket < 0) {
    sub -= SUB_BUCKET_HALF_COUNT;
    bucket = 0;
  }
  return sub * 2 ** bucket;
}
