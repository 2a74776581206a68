// partitions-sweep: Sabre over P × W on the core job (tumbling 1 s, five
// aggregates, 10k keys) and the heavy job (sliding 10 s / 1 s, 100k keys),
// and, in the same invocation and interleaved with it, the baselines of the
// core job: single-threaded Node, the postMessage pool (one row per W), the
// Rust and Go references. Ratios are of medians measured in this run.
import { runSingleThread } from '../baselines/single-thread.js';
import { runPostMessagePool } from '../baselines/postmessage-pool.js';
import { BASELINE_DEFAULTS } from '../baselines/baseline-options.js';
import { CORE_JOB, HEAVY_JOB, lean, runEngine, type EngineRun } from '../engine-run.js';
import { median, stats } from '../bench-util.js';
import { runNative, type NativeImpl } from '../native.js';
import type { ScenarioContext } from './scenario.js';

export interface SweepRow {
  job: 'core' | 'heavy';
  partitions: number;
  workers: number;
  count: number;
  recordsPerSec: ReturnType<typeof stats>;
  /** Median over the repetitions of each percentile (µs). */
  latencyUs: Record<'queue' | 'process', { p50: number; p99: number; p999: number; max: number }>;
  results: number;
  recordsProcessed: number;
}

export interface BaselineRow {
  name: string;
  workers?: number;
  count: number;
  recordsPerSec: ReturnType<typeof stats> | null;
  windowsFired: number | null;
  skipped?: string;
}

function latencyMedian(runs: EngineRun[]): SweepRow['latencyUs'] {
  const m = (stage: 'queue' | 'process', f: 'p50' | 'p99' | 'p999' | 'max'): number => median(runs.map((r) => r.latencyUs?.[stage][f] ?? NaN));
  const st = (s: 'queue' | 'process') => ({ p50: m(s, 'p50'), p99: m(s, 'p99'), p999: m(s, 'p999'), max: m(s, 'max') });
  return { queue: st('queue'), process: st('process') };
}

export async function partitionsSweep(ctx: ScenarioContext): Promise<Record<string, unknown>> {
  const { smoke, repeat, cores } = ctx;
  const parts = ctx.list('partitions', smoke ? [1, 4, 64] : [1, 2, 4, 8, 16, 32, 64]);
  const workers = ctx.list('workers', smoke ? [1] : Array.from({ length: cores }, (_, i) => i + 1));
  const jobs = ctx.strings('jobs', ['core', 'heavy']) as ('core' | 'heavy')[];
  const coreCount = ctx.num('count', smoke ? 200_000 : 5_000_000);
  const heavyCount = ctx.num('heavyCount', smoke ? 50_000 : 1_000_000);
  const baselines = ctx.strings('baselines', ['single-thread', 'postmessage', 'rust', 'go']);

  const sabreRuns = new Map<string, EngineRun[]>();
  const baseRuns = new Map<string, { rps: number[]; windows: number; skipped?: string; workers?: number; name: string }>();
  // Every cell runs, P < W included: a worker that owns no partition reports in and ends at once
  // (its share of the machine is idle, which is what such a cell measures).
  const configs = jobs.flatMap((job) => workers.flatMap((w) => parts.map((p) => ({ job, p, w }))));
  const baseJob = { ...BASELINE_DEFAULTS, count: coreCount, keys: 10_000 };
  const baseList: { key: string; name: string; workers?: number; run: () => Promise<{ rps?: number; windows?: number; skipped?: string }> }[] = [];
  if (baselines.includes('single-thread')) {
    baseList.push({ key: 'single-thread', name: 'single-thread Node', run: async () => { const r = runSingleThread(baseJob); return { rps: r.recordsPerSec, windows: r.windowsFired }; } });
  }
  if (baselines.includes('postmessage')) {
    for (const w of workers) {
      baseList.push({ key: `postmessage-w${w}`, name: 'postMessage pool (Piscina)', workers: w,
        run: async () => { const r = await runPostMessagePool({ ...baseJob, workers: w }); return { rps: r.recordsPerSec, windows: r.windowsFired }; } });
    }
  }
  for (const impl of ['rust', 'go'] as NativeImpl[]) {
    if (!baselines.includes(impl)) continue;
    baseList.push({ key: impl, name: impl === 'rust' ? 'Rust reference (SPSC ring)' : 'Go reference (channels + mutex map)',
      run: async () => {
        const r = runNative(impl, { count: coreCount, keys: 10_000 });
        return 'skipped' in r ? { skipped: r.skipped } : { rps: r.recordsPerSec, windows: r.windowsFired };
      } });
  }

  const steps = repeat * (configs.length + baseList.length);
  for (let r = 0; r < repeat; r++) {
    for (const c of configs) {
      ctx.tick(`partitions-sweep ${c.job} P=${c.p} W=${c.w} run ${r + 1}/${repeat}`, steps);
      const base = c.job === 'core' ? { ...CORE_JOB, count: coreCount } : { ...HEAVY_JOB, count: heavyCount };
      const x = await runEngine({ ...base, partitions: c.p, workers: c.w });
      const key = `${c.job}/${c.p}/${c.w}`;
      if (!sabreRuns.has(key)) sabreRuns.set(key, []);
      sabreRuns.get(key)!.push(lean(x));
    }
    for (const b of baseList) {
      ctx.tick(`partitions-sweep baseline ${b.key} run ${r + 1}/${repeat}`, steps);
      const x = await b.run();
      const row = baseRuns.get(b.key) ?? { rps: [], windows: 0, name: b.name, workers: b.workers };
      if (x.skipped !== undefined) {
        row.skipped = x.skipped;
        if (r === 0) process.stderr.write(`\n[sabre bench] ${x.skipped}\n`);
      } else {
        row.rps.push(x.rps!);
        row.windows = x.windows!;
      }
      baseRuns.set(b.key, row);
    }
  }

  const rows: SweepRow[] = configs.map((c) => {
    const runs = sabreRuns.get(`${c.job}/${c.p}/${c.w}`)!;
    return {
      job: c.job, partitions: c.p, workers: c.w, count: c.job === 'core' ? coreCount : heavyCount,
      recordsPerSec: stats(runs.map((x) => x.recordsPerSec)), latencyUs: latencyMedian(runs),
      results: runs[0]!.results, recordsProcessed: runs[0]!.recordsProcessed,
    };
  });
  const baselineRows: BaselineRow[] = [...baseRuns.entries()].map(([key, b]) => ({
    name: key, ...(b.workers !== undefined ? { workers: b.workers } : {}), count: coreCount,
    recordsPerSec: b.rps.length > 0 ? stats(b.rps) : null, windowsFired: b.rps.length > 0 ? b.windows : null,
    ...(b.skipped !== undefined ? { skipped: b.skipped } : {}),
  }));

  // Ratios: the best Sabre configuration of the core job (median) against each baseline's median,
  // and the per-W spread across P (max/min of medians − 1: the "no cliff" target is ≤ 10%).
  const core = rows.filter((x) => x.job === 'core');
  const best = core.reduce<SweepRow | undefined>((a, x) => (!a || x.recordsPerSec.median > a.recordsPerSec.median ? x : a), undefined);
  const ratios: Record<string, number | null> = {};
  for (const b of baselineRows) ratios[b.name] = best && b.recordsPerSec ? best.recordsPerSec.median / b.recordsPerSec.median : null;
  const spread = jobs.flatMap((job) => workers.map((w) => {
    const m = rows.filter((x) => x.job === job && x.workers === w).map((x) => x.recordsPerSec.median);
    return { job, workers: w, minMedian: Math.min(...m), maxMedian: Math.max(...m), spread: Math.max(...m) / Math.min(...m) - 1 };
  }));
  return {
    smoke, repeat,
    jobs: { core: { window: 'tumbling:1s', aggregates: 5, keys: 10_000, count: coreCount }, heavy: { window: 'sliding:10s,1s', aggregates: 5, keys: 100_000, count: heavyCount } },
    rows, baselines: baselineRows,
    bestCore: best ? { partitions: best.partitions, workers: best.workers, recordsPerSecMedian: best.recordsPerSec.median } : null,
    ratios, spreadAcrossPartitions: spread,
    targets: { 'single-thread': 1.5, postmessage: 3, go: 1.0, rust: 0.4, spread: 0.1 },
  };
}
