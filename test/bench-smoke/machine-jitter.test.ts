import { describe, expect, it } from 'vitest';
import { floorOf, machineJitter } from '../../dist/bench/scenarios/machine-jitter.js';

describe('machine jitter (the latency floor under the benchmarks)', () => {
  it('floorOf: the wait a uniformly arriving record sees from gaps alone, at a given quantile', () => {
    // One 1 ms gap in 100 ms: 1% of arrivals land in it, so p99 is 0 and p99.9 is the last 0.1 ms of it (900 µs left).
    expect(floorOf([1000], 100_000, 0.01)).toBeCloseTo(0, 6);
    expect(floorOf([1000], 100_000, 0.001)).toBeCloseTo(900, 3);
    // Ten 1 ms gaps in 100 ms: 10% of the time; p99 waits 900 µs.
    expect(floorOf(Array(10).fill(1000), 100_000, 0.01)).toBeCloseTo(900, 3);
    expect(floorOf([], 100_000, 0.001)).toBe(0);
  });

  it('measures both threads at once and reports per-second gap counts within what it saw', async () => {
    const j = await machineJitter(200);
    expect(j.threads.map((t) => t.thread)).toEqual(['main', 'worker']);
    for (const t of j.threads) {
      expect(t.seconds).toBeCloseTo(0.2, 6);
      expect(t.gapsOver1msPerSec).toBeLessThanOrEqual(t.gapsOver100usPerSec);
      expect(t.lostFraction).toBeGreaterThanOrEqual(0);
      expect(t.lostFraction).toBeLessThan(1);
      expect(t.floorP999Us).toBeGreaterThanOrEqual(t.floorP99Us);
      expect(t.floorP999Us).toBeLessThanOrEqual(t.longestMs * 1000);
    }
    expect(j.combined.floorP999Us).toBeGreaterThanOrEqual(Math.max(...j.threads.map((t) => t.floorP999Us)) - 1e-6);
  });
});
