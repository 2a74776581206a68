import { describe, expect, it } from 'vitest';
import { createEngine, type WindowResult } from '../../../dist/src/index.js';
import { W_LOOP_WALL } from '../../../dist/src/metrics/counters.js';

async function generatorRun(extra: Record<string, unknown>, sample?: (e: ReturnType<typeof createEngine>) => void) {
  const engine = createEngine({
    source: 'generator', count: 60_000, keys: 500, sink: 'null', progress: 0, httpPort: 0,
    window: 'tumbling:100ms', partitions: 4, workers: 2, ...extra,
  });
  const lines: string[] = [];
  engine.onResult((r: WindowResult) => lines.push(JSON.stringify(r)));
  await engine.start();
  let timer: NodeJS.Timeout | undefined;
  if (sample) timer = setInterval(() => sample(engine), 2);
  const summary = await engine.done;
  if (timer) clearInterval(timer);
  return { summary, lines: lines.sort() };
}

describe('backpressure', () => {
  it('a slow worker pauses the source; in-flight records stay bounded by the rings; nothing is lost', async () => {
    const fast = await generatorRun({});
    let maxInFlight = 0;
    let maxOccupancy = 0;
    let heapPeak = 0;
    const heapBefore = process.memoryUsage().heapUsed;
    const slow = await generatorRun({ ringSize: '4KiB', slowMicrosPerRecord: 15 }, (e) => {
      const s = e.snapshot();
      maxInFlight = Math.max(maxInFlight, s.recordsIn - s.recordsProcessed);
      maxOccupancy = Math.max(maxOccupancy, ...s.ringOccupancy);
      heapPeak = Math.max(heapPeak, process.memoryUsage().heapUsed);
    });
    const gen = slow.summary.sources.find((s) => s.name === 'generator')!;
    expect(gen.pauses).toBeGreaterThan(10);
    expect(gen.pausedSeconds).toBeGreaterThan(0);
    // A generator frame is ≥ 88 bytes: 4 rings of 4 KiB hold at most ~186 frames (plus one batch per worker in hand).
    expect(maxInFlight).toBeLessThanOrEqual(4 * Math.floor(4096 / 88) + 2 * 256);
    expect(maxOccupancy).toBeLessThanOrEqual(1);
    expect(heapPeak - heapBefore).toBeLessThan(64 << 20);
    expect(slow.summary.recordsIn).toBe(60_000);
    expect(slow.summary.recordsProcessed).toBe(60_000);
    expect(slow.lines).toEqual(fast.lines);
  });

  it('a slow sink (tiny out-rings) slows the workers, who wait for space, and every result arrives', async () => {
    const normal = await generatorRun({});
    // The out-ring may not be smaller than the input rings (options.ts), so both are the minimum, 1 KiB.
    const squeezed = await generatorRun({ ringSize: '1KiB', outRingSize: '1KiB', window: 'tumbling:100ms' });
    expect(squeezed.summary.workers.reduce((a, w) => a + w.outFullWaits, 0)).toBeGreaterThan(0);
    expect(squeezed.lines).toEqual(normal.lines);
  });
});

describe('worker pool', () => {
  it('W long tasks run on W distinct threads; none is recycled, replaced or starved during the run', async () => {
    const engine = createEngine({ source: 'generator', count: 1_500_000, keys: 1000, sink: 'null', progress: 0, httpPort: 0, partitions: 8, workers: 2 });
    await engine.start();
    const loopWalls: number[][] = [];
    const threadCounts: number[] = [];
    const timer = setInterval(() => {
      // Sample only mid-run: the pool is released once the run has finished.
      if (engine.snapshot().recordsProcessed >= 1_500_000) return;
      loopWalls.push([0, 1].map((w) => engine.counters.worker(w, W_LOOP_WALL)));
      threadCounts.push(engine.threadCount);
    }, 20);
    const summary = await engine.done;
    clearInterval(timer);
    expect(threadCounts.length).toBeGreaterThan(2);
    expect(new Set(threadCounts)).toEqual(new Set([2]));
    expect(summary.threadsCreated).toBe(2);
    expect(summary.threadsDestroyed).toBe(0);
    expect(new Set(summary.workers.map((w) => w.threadId)).size).toBe(2);
    expect(summary.workers.map((w) => w.worker).sort()).toEqual([0, 1]);
    for (const w of summary.workers) expect(w.records).toBeGreaterThan(1_500_000 * 0.3);
    expect(summary.workers.reduce((a, w) => a + w.records, 0)).toBe(1_500_000);
    // Both workers' loops kept advancing while the run went on (sampled from shared memory, no messages).
    const distinct = (w: number): number => new Set(loopWalls.map((s) => s[w])).size;
    expect(distinct(0)).toBeGreaterThan(2);
    expect(distinct(1)).toBeGreaterThan(2);
  });
});
