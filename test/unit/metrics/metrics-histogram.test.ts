import { describe, expect, it } from 'vitest';
import v8 from 'node:v8';
import { Float64Histogram } from 'hdr-histogram-js';
import {
  COUNTS_LENGTH, HIGHEST_US, LOWEST_US, SIGNIFICANT_DIGITS, countsIndex, createHistogram, valueFromIndex,
} from '../../../dist/src/metrics/hdr-layout.js';
import { LatencyRecorder } from '../../../dist/src/metrics/latency-recorder.js';
import { WorkerMetrics } from '../../../dist/src/metrics/worker-metrics.js';
import { MetricsHub } from '../../../dist/src/metrics/metrics-hub.js';
import { Counters } from '../../../dist/src/metrics/counters.js';
import { decodeSnapshot, encodeSnapshot, isMetricsMessage, type MetricsMessage } from '../../../dist/src/metrics/snapshot-codec.js';

/** Deterministic values spread over 1 µs … 60 s on a log scale (xorshift32). */
function values(n: number, seed: number): number[] {
  let x = seed >>> 0 || 1;
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    out.push(Math.floor(Math.exp((x / 2 ** 32) * Math.log(HIGHEST_US))));
  }
  return out;
}

function reference(vals: number[]): Float64Histogram {
  const h = new Float64Histogram(LOWEST_US, HIGHEST_US, SIGNIFICANT_DIGITS);
  for (const v of vals) h.recordValue(v);
  return h;
}

function manualClock(start = 1000): { now: () => number; advance: (ms: number) => void } {
  let t = start;
  return { now: () => t, advance: (ms) => { t += ms; } };
}

describe('HDR layout', () => {
  it('matches hdr-histogram-js index for index, and every value maps back to its bucket', () => {
    const h = createHistogram();
    expect(h.countsArrayLength).toBe(COUNTS_LENGTH);
    const bad: string[] = [];
    for (let i = 0; i < COUNTS_LENGTH; i++) {
      const v = valueFromIndex(i);
      if (v !== h.valueFromIndex(i)) bad.push(`valueFromIndex(${i})`);
      if (v <= HIGHEST_US && countsIndex(v) !== i) bad.push(`countsIndex(valueFromIndex(${i}))`);
    }
    for (let v = 0; v < 200_000; v++) if (countsIndex(v) !== h.countsArrayIndex(v)) bad.push(`countsIndex(${v})`);
    for (const v of values(50_000, 7)) if (countsIndex(v) !== h.countsArrayIndex(v)) bad.push(`countsIndex(${v})`);
    expect(bad).toEqual([]);
    expect(countsIndex(HIGHEST_US)).toBe(h.countsArrayIndex(HIGHEST_US));
  });
});

describe('LatencyRecorder', () => {
  it('swapping yields interval snapshots that do not double count', () => {
    const clock = manualClock();
    const r = new LatencyRecorder(clock.now);
    const a = values(1000, 1);
    const b = values(700, 2);
    for (const v of a) r.recordValue(v);
    clock.advance(1000);
    const first = r.swap();
    expect(first.total).toBe(1000);
    expect(first.startMs).toBe(1000);
    expect(first.endMs).toBe(2000);
    const h1 = createHistogram();
    first.addTo(h1);
    const ref1 = reference(a);
    for (let i = 0; i < COUNTS_LENGTH; i++) expect(h1.getCountAtIndex(i)).toBe(ref1.getCountAtIndex(i));

    for (const v of b) r.recordValue(v);
    clock.advance(500);
    const second = r.swap();
    expect(second.total).toBe(700);
    expect(second.startMs).toBe(2000);
    expect(second.endMs).toBe(2500);
    const h2 = createHistogram();
    second.addTo(h2);
    const ref2 = reference(b);
    for (let i = 0; i < COUNTS_LENGTH; i++) expect(h2.getCountAtIndex(i)).toBe(ref2.getCountAtIndex(i));

    // Nothing recorded: an empty interval, and the reused arrays hold nothing from before.
    const third = r.swap();
    expect(third.total).toBe(0);
    expect(third.counts.every((c) => c === 0)).toBe(true);
    r.recordValue(42);
    const fourth = r.swap();
    expect(fourth.total).toBe(1);
    expect(fourth.counts.reduce((s, c) => s + c, 0)).toBe(1);
    expect(fourth.counts[countsIndex(42)]).toBe(1);
  });

  it('keeps exact count, sum, min and max, and clamps instead of throwing', () => {
    const r = new LatencyRecorder(() => 0);
    r.recordValueWithCount(10, 3);
    r.recordValue(2.9); // truncated to 2
    r.recordValue(-5); // clock step → 0
    r.recordValue(Number.NaN); // → 0
    r.recordValue(10 * HIGHEST_US); // → 60 s
    r.recordValueWithCount(7, 0); // ignored
    r.recordSince(1000, 1000.5, 2); // 500 µs twice
    const iv = r.swap();
    expect(iv.total).toBe(9);
    expect(iv.sum).toBe(30 + 2 + 0 + 0 + HIGHEST_US + 1000);
    expect(iv.min).toBe(0);
    expect(iv.max).toBe(HIGHEST_US);
    expect(iv.counts[countsIndex(0)]).toBe(2);
    expect(iv.counts[countsIndex(HIGHEST_US)]).toBe(1);
  });

  it('records without allocating (no GC during 2 M recordings after warm-up)', () => {
    const r = new LatencyRecorder(() => 0);
    const run = (n: number): void => {
      for (let i = 0; i < n; i++) r.recordValue((i & 0xffff) * 1.5);
    };
    run(3_000_000); // warm-up: interpreter and baseline code box doubles until optimised
    const profiler = new v8.GCProfiler();
    profiler.start();
    run(2_000_000);
    r.recordValueWithCount(5, 64);
    const gcs = profiler.stop().statistics.length;
    expect(gcs).toBe(0);
    expect(r.swap().total).toBe(5_000_064);
  });
});

describe('worker snapshots merged by the hub', () => {
  it('the merge of two recorders equals one histogram fed all values; percentiles within HDR precision', () => {
    const clock = manualClock();
    const counters = Counters.create({ partitions: 2, workers: 2 });
    const hub = new MetricsHub({ counters, clock: clock.now, mainThread: false });
    const posted: MetricsMessage[] = [];
    const port = { postMessage: (m: MetricsMessage, transfer: ArrayBuffer[]) => { expect(transfer).toEqual([m.buf]); posted.push(m); } };
    const w0 = new WorkerMetrics({ worker: 0, port, clock: clock.now, gc: false, intervalMs: 1000 });
    const w1 = new WorkerMetrics({ worker: 1, port, clock: clock.now, gc: false, intervalMs: 1000 });
    const all: number[] = [];
    const v0 = values(20_000, 11);
    const v1 = values(30_000, 12);
    // Three intervals each, with flushes interleaved.
    for (let round = 0; round < 3; round++) {
      for (const v of v0.slice(round * 6667, (round + 1) * 6667)) { w0.queue.recordValue(v); all.push(v); }
      for (const v of v1.slice(round * 10_000, (round + 1) * 10_000)) { w1.queue.recordValue(v); all.push(v); }
      clock.advance(999);
      w0.maybeFlush(clock.now()); // not due yet
      clock.advance(1);
      w0.maybeFlush(clock.now());
      w1.maybeFlush(clock.now());
    }
    expect(posted.length).toBe(6);
    for (const m of posted) {
      expect(isMetricsMessage(m)).toBe(true);
      expect(hub.ingest(m)).toBe(true);
    }
    expect(hub.ingest({ type: 'something-else' })).toBe(false);

    const merged = hub.histogram('queue', 'all')!;
    const ref = reference(all);
    expect(merged.count).toBe(all.length);
    expect(merged.h.totalCount).toBe(ref.totalCount);
    for (let i = 0; i < COUNTS_LENGTH; i++) expect(merged.h.getCountAtIndex(i)).toBe(ref.getCountAtIndex(i));
    expect(merged.sum).toBe(all.reduce((s, v) => s + v, 0));
    expect(merged.max).toBe(Math.max(...all));
    expect(merged.min).toBe(Math.min(...all));
    expect(hub.histogram('queue', 0)!.count).toBe(v0.length);
    expect(hub.histogram('queue', 1)!.count).toBe(v1.length);

    const sorted = [...all].sort((a, b) => a - b);
    const q = merged.quantiles();
    const exact = (p: number): number => sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)]!;
    for (const [p, got] of [[0.5, q.p50], [0.9, q.p90], [0.99, q.p99], [0.999, q.p999]] as const) {
      expect(got).toBe(Math.min(ref.getValueAtPercentile(p * 100), merged.max));
      // 3 significant digits: within 0.1 % (+1 µs for integer truncation) of the exact order statistic.
      expect(Math.abs(got - exact(p))).toBeLessThanOrEqual(exact(p) * 1e-3 + 1);
    }
    expect(q.max).toBe(sorted[sorted.length - 1]);
    const dist = merged.distribution();
    expect(dist[0]!.percentile).toBe(0);
    expect(dist[dist.length - 1]).toEqual({ percentile: 100, value: q.max, count: all.length });
    for (let i = 1; i < dist.length; i++) expect(dist[i]!.value).toBeGreaterThanOrEqual(dist[i - 1]!.value);
    const text = hub.hgrm('queue')!;
    expect(text).toMatch(/Value\s+Percentile\s+TotalCount/);
    // Same counts → the same distribution text, in ms; only the Max line differs (HDR keeps the
    // max as the bucket's value after a merge, the reference saw the exact one).
    const withoutMax = (t: string): string => t.split('\n').filter((l) => !l.startsWith('#[Max')).join('\n');
    expect(withoutMax(text)).toBe(withoutMax(ref.outputPercentileDistribution(5, 1000)));
    expect(text).toMatch(new RegExp(`Total count\\s+=\\s+${all.length}\\]`));
    expect(hub.hgrm('nope')).toBeUndefined();

    // A stage measured on the main thread (emit) merges on tick(), once.
    const emit = hub.recorder('emit', 1);
    expect(hub.recorder('emit', 1)).toBe(emit);
    emit.recordValueWithCount(250, 10);
    clock.advance(1000);
    hub.tick();
    expect(hub.histogram('emit', 1)!.count).toBe(10);
    expect(hub.histogram('emit', 'all')!.quantiles().p99).toBe(250);
    let snap = hub.snapshot();
    expect(snap.latency.stages.emit.interval.count).toBe(10);
    expect(snap.latency.stages.queue.interval.count).toBe(all.length); // everything arrived in this interval
    clock.advance(1000);
    hub.tick();
    snap = hub.snapshot();
    expect(snap.latency.stages.emit.workers[1]!.count).toBe(10);
    expect(snap.latency.stages.emit.interval.count).toBe(0);
    expect(() => hub.recorder('emit', 2)).toThrow(RangeError);
  });

  it('markLatency() starts the since-mark figures afresh; run-long figures go on', () => {
    const clock = manualClock();
    const counters = Counters.create({ partitions: 1, workers: 1 });
    const hub = new MetricsHub({ counters, clock: clock.now, mainThread: false });
    const port = { postMessage: (m: MetricsMessage) => { expect(hub.ingest(m)).toBe(true); } };
    const w0 = new WorkerMetrics({ worker: 0, port, clock: clock.now, gc: false, intervalMs: 1000 });
    expect(hub.snapshot().latency.sinceMark).toBeNull();
    // Warm-up: slow values, flushed; then the mark; then fast values.
    for (let i = 0; i < 1000; i++) w0.queue.recordValue(50_000);
    const emit = hub.recorder('emit', 0);
    emit.recordValueWithCount(9_000, 3); // recorded before the mark: goes before it
    clock.advance(1000);
    w0.maybeFlush(clock.now());
    const markedAt = clock.now();
    hub.markLatency();
    for (let i = 0; i < 500; i++) w0.queue.recordValue(7);
    emit.recordValueWithCount(40, 2);
    clock.advance(1000);
    w0.maybeFlush(clock.now());
    hub.tick();
    const snap = hub.snapshot();
    expect(snap.latency.sinceMark!.at).toBe(markedAt);
    const q = snap.latency.sinceMark!.stages.queue;
    expect(q.count).toBe(500);
    expect(q.max).toBe(7);
    expect(snap.latency.sinceMark!.stages.emit.count).toBe(2);
    expect(snap.latency.sinceMark!.stages.emit.max).toBe(40);
    expect(snap.latency.stages.queue.all.count).toBe(1500);
    expect(snap.latency.stages.queue.all.max).toBe(50_000);
    expect(snap.latency.stages.emit.all.count).toBe(5);
  });

  it('encodes only non-zero buckets and rejects malformed buffers', () => {
    const r = new LatencyRecorder(() => 0);
    r.recordValueWithCount(100, 5);
    r.recordValueWithCount(100_000, 2);
    const iv = r.swap();
    const empty = new LatencyRecorder(() => 0).swap();
    const buf = encodeSnapshot({ worker: 3, startMs: 1, endMs: 2, gcUnknown: 0,
      heap: { usedBytes: 1, totalBytes: 2, limitBytes: 3, externalBytes: 4 } }, [iv, empty], []);
    const d = decodeSnapshot(buf)!;
    expect(d.worker).toBe(3);
    expect(d.blocks.length).toBe(1);
    expect(d.blocks[0]).toMatchObject({ id: 0, total: 7, sum: 500 + 200_000, min: 100, max: 100_000, pairs: 2 });
    expect(buf.byteLength).toBe((10 + 6 + 4) * 8);
    expect(decodeSnapshot(new ArrayBuffer(16))).toBeUndefined();
    expect(decodeSnapshot(buf.slice(0, buf.byteLength - 8))).toBeUndefined();
  });
});
