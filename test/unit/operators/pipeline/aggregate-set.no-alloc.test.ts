import { describe, expect, it } from 'vitest';
import { PerformanceObserver, constants } from 'node:perf_hooks';
import { AggregateSet } from '../../../../dist/src/operators/pipeline/aggregate-set.js';
import { avg, count, max, min, percentile, stddev, sum, variance } from '../../../../dist/src/job/aggregates.js';

interface Tick { price: number; qty: number }

/** Minor GCs while `fn` runs (a young generation fills in a few MB: allocating per record would show many). */
async function scavengesDuring(fn: () => void): Promise<number> {
  let n = 0;
  const obs = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) if ((e.detail as { kind?: number } | undefined)?.kind === constants.NODE_PERFORMANCE_GC_MINOR) n++;
  });
  obs.observe({ entryTypes: ['gc'] });
  fn();
  await new Promise((r) => setTimeout(r, 50)); // gc entries are delivered asynchronously
  obs.disconnect();
  return n;
}

describe('AggregateSet: numeric aggregates allocate nothing per record', () => {
  it('5M adds of count/sum/min/max/avg/variance/stddev/percentile over double fields and an expression run without a minor GC', async () => {
    const set = new AggregateSet({
      n: count(), s: sum('price'), lo: min('price'), hi: max('price'), a: avg('price'), v: variance('price'), sd: stddev('price'),
      notional: sum((t: Tick) => t.price * t.qty), p: percentile('price', 0.99),
    });
    const ticks: Tick[] = Array.from({ length: 1000 }, (_, i) => ({ price: 100.25 + Math.sin(i) * 3.3, qty: i * 0.5 + 0.1 }));
    const acc = set.init();
    const run = (rounds: number): void => {
      for (let k = 0; k < rounds; k++) {
        for (let i = 0; i < ticks.length; i++) {
          set.record = ticks[i];
          set.io[0] = i + 0.5;
          set.prepare?.();
          set.add(acc, 0);
        }
      }
    };
    run(3000); // warm up: optimised code, sketch buckets grown
    const gcs = await scavengesDuring(() => run(5000));
    expect(gcs).toBeLessThanOrEqual(1);
    expect(set.result(acc).n).toBe(8000 * ticks.length);
  });
});
