// keys: the core job over 1k, 100k and 1M distinct keys — throughput and
//   memory per open (key, window), from the workers' own reports (V8 heap
//   used + external bytes, where the typed-array window tables live) and the
//   process RSS, both as growth over the run divided by the peak number of
//   open windows the workers count.
// record-size: the core job with the generator's keys padded to 32 B … 1 KiB
//   (--key-bytes): the generator encodes each key once, so the run is the
//   core job's hot path (one frame write per record, publish per batch) with
//   longer frames. Throughput, MB/s of key bytes, and the same memory figures
//   as `keys`: the workers' state tables (their own byte count, key bytes
//   included) per peak open (key, window), and heap / RSS growth.
import { createEngine, type EngineOptions } from '../../src/index.js';
import { CORE_JOB } from '../engine-run.js';
import { stats } from '../bench-util.js';
import type { ScenarioContext } from './scenario.js';

interface MemSample { workerBytes: number; openWindows: number; peakOpenWindows: number; keys: number; rss: number }

function sample(engine: ReturnType<typeof createEngine>): MemSample {
  const st = engine.stats();
  let workerBytes = 0;
  let openWindows = 0;
  let peakOpenWindows = 0;
  let keys = 0;
  for (const w of st.workers) {
    workerBytes += (w.heap?.usedBytes ?? 0) + (w.heap?.externalBytes ?? 0);
    openWindows += w.openWindows;
    peakOpenWindows += w.peakOpenWindows;
    keys += w.keys;
  }
  return { workerBytes, openWindows, peakOpenWindows, keys, rss: process.memoryUsage().rss };
}

/** One run of `opts` to its end, with throughput and memory per open (key, window). */
async function memoryRun(opts: EngineOptions) {
  const rss0 = process.memoryUsage().rss;
  const engine = createEngine(opts);
  await engine.start();
  const first = sample(engine);
  let peak = first;
  let peakRss = first.rss;
  let peakWorker = first.workerBytes;
  const timer = setInterval(() => {
    const s = sample(engine);
    if (s.openWindows > peak.openWindows) peak = s;
    peakRss = Math.max(peakRss, s.rss);
    peakWorker = Math.max(peakWorker, s.workerBytes);
  }, 100);
  const sum = await engine.done;
  clearInterval(timer);
  const end = sample(engine);
  const keysSeen = Math.max(end.keys, peak.keys);
  peakRss = Math.max(peakRss, end.rss);
  peakWorker = Math.max(peakWorker, end.workerBytes);
  // The workers count their own peak of open windows (the 100 ms sampler misses short runs' peaks).
  const peakOpenWindows = Math.max(end.peakOpenWindows, peak.openWindows);
  const stateBytes = engine.stats().workers.reduce((a, w) => a + w.stateBytes, 0);
  const per = (bytes: number): number | null => (peakOpenWindows > 0 ? bytes / peakOpenWindows : null);
  return {
    recordsPerSec: sum.recordsIn / (sum.elapsedMs / 1000),
    recordsIn: sum.recordsIn, recordsProcessed: sum.recordsProcessed, results: sum.results,
    keysSeen, peakOpenWindows,
    stateBytes,
    elapsedMs: sum.elapsedMs,
    workerBytesGrowth: peakWorker - first.workerBytes,
    rssGrowth: peakRss - rss0,
    /** The state tables' own size per open (key, window), at the end of the run (tables never shrink). */
    stateBytesPerKeyWindow: per(stateBytes),
    workerBytesPerKeyWindow: per(peakWorker - first.workerBytes),
    rssBytesPerKeyWindow: per(peakRss - rss0),
  };
}

export async function keysScenario(ctx: ScenarioContext): Promise<Record<string, unknown>> {
  const { smoke, repeat } = ctx;
  const keyCounts = ctx.list('keys', smoke ? [1_000, 100_000] : [1_000, 100_000, 1_000_000]);
  const count = ctx.num('count', smoke ? 200_000 : 5_000_000);
  const partitions = ctx.num('partitions', 4);
  const workers = ctx.num('workers', Math.max(1, ctx.cores - 1));
  const runs = new Map<number, Awaited<ReturnType<typeof memoryRun>>[]>(keyCounts.map((k) => [k, []]));
  for (let r = 0; r < repeat; r++) {
    for (const k of keyCounts) {
      ctx.tick(`keys ${k} run ${r + 1}/${repeat}`, repeat * keyCounts.length);
      runs.get(k)!.push(await memoryRun({ ...CORE_JOB, keys: k, count, partitions, workers }));
    }
  }
  return {
    smoke, repeat, count, partitions, workers, job: { window: 'tumbling:1s', aggregates: 5 },
    rows: keyCounts.map((k) => {
      const rs = runs.get(k)!;
      const nums = (f: (x: (typeof rs)[number]) => number | null) => stats(rs.map((x) => f(x) ?? NaN));
      return {
        keys: k, recordsIn: rs.map((x) => x.recordsIn), recordsProcessed: rs.map((x) => x.recordsProcessed),
        recordsPerSec: nums((x) => x.recordsPerSec), peakOpenWindows: nums((x) => x.peakOpenWindows), keysSeen: nums((x) => x.keysSeen),
        stateBytesPerKeyWindow: nums((x) => x.stateBytesPerKeyWindow),
        workerBytesPerKeyWindow: nums((x) => x.workerBytesPerKeyWindow), rssBytesPerKeyWindow: nums((x) => x.rssBytesPerKeyWindow),
      };
    }),
    memoryNote: 'state = the workers\' key tables, window slots and timers (their own byte count); worker = growth of (worker heap used + external); RSS = growth of the process RSS; each divided by the peak open (key, window) count the workers report',
  };
}

export async function recordSizeScenario(ctx: ScenarioContext): Promise<Record<string, unknown>> {
  const { smoke, repeat } = ctx;
  const sizes = ctx.list('sizes', smoke ? [32, 1024] : [32, 128, 512, 1024]);
  const count = ctx.num('count', smoke ? 100_000 : 3_000_000);
  const keys = ctx.num('keys', 10_000);
  const partitions = ctx.num('partitions', 4);
  const workers = ctx.num('workers', Math.max(1, ctx.cores - 1));
  const runs = new Map<number, Awaited<ReturnType<typeof memoryRun>>[]>(sizes.map((s) => [s, []]));
  for (let r = 0; r < repeat; r++) {
    for (const s of sizes) {
      ctx.tick(`record-size key ${s} B run ${r + 1}/${repeat}`, repeat * sizes.length);
      runs.get(s)!.push(await memoryRun({ ...CORE_JOB, keys, keyBytes: s, count, partitions, workers }));
    }
  }
  return {
    smoke, repeat, count, keys, partitions, workers, job: { window: 'tumbling:1s', aggregates: 5 },
    source: 'generator, keys padded with _ to the size shown (--key-bytes): the core job\'s hot path, one frame write per record, published per batch',
    rows: sizes.map((s) => {
      const rs = runs.get(s)!;
      const nums = (f: (x: (typeof rs)[number]) => number | null) => stats(rs.map((x) => f(x) ?? NaN));
      return {
        keyBytes: s, recordsIn: rs.map((x) => x.recordsIn), recordsProcessed: rs.map((x) => x.recordsProcessed), results: rs.map((x) => x.results),
        recordsPerSec: nums((x) => x.recordsPerSec), keyMBPerSec: nums((x) => (x.recordsPerSec * s) / 1e6),
        peakOpenWindows: nums((x) => x.peakOpenWindows), keysSeen: nums((x) => x.keysSeen),
        stateBytesPerKeyWindow: nums((x) => x.stateBytesPerKeyWindow),
        workerBytesPerKeyWindow: nums((x) => x.workerBytesPerKeyWindow), rssBytesPerKeyWindow: nums((x) => x.rssBytesPerKeyWindow),
        workerHeapGrowthBytes: nums((x) => x.workerBytesGrowth), rssGrowthBytes: nums((x) => x.rssGrowth),
      };
    }),
    memoryNote: 'state = the workers\' key tables (key bytes included), window slots and timers (their own byte count); worker = growth of (worker heap used + external); RSS = growth of the process RSS; each divided by the peak open (key, window) count the workers report',
  };
}
