// npm run bench:pipeline — job modules on the built-in generator against the
// same logic written plainly in single-threaded Node, in one invocation:
//   bars   bench/jobs/bars.ts:  market trades → 1 s OHLC/volume/VWAP bars per symbol
//   fraud  bench/jobs/fraud.ts: card transactions → 10 s windows sliding by 1 s per card, flagged above a count
//   core   the flag-only core job (bench:core's: tumbling 1 s, five aggregates, 10k keys) beside them
// and, with --examples (or named in --jobs), the shipped example jobs whole:
//   card-fraud   jobs/card-fraud.ts:  sliding features + profile lookup + alerts, and a keyed decline-sequence rule
//   market-bars  jobs/market-bars.ts: 1 s bars + jump alerts, and a keyed moving-average crossover with timers
// Each configuration (Sabre with W = 1 and 2 workers, P = 8 partitions; the
// baseline) runs in a process of its own (bench/pipeline-run.ts), alternating
// within each of --repeat rounds, and reports wall-clock records/s and CPU µs
// per record summed over every thread of its process. The baseline draws the
// job generator's record sequence for the job's settings, so both compute the
// same windows, and serializes each output to its NDJSON line as Sabre's
// workers do; its output count must equal Sabre's, per output where a job
// has several (a mismatch is an error in the JSON and the exit code).
// "bound on C cores" is the records/s Sabre's CPU per record allows with all
// C cores busy (C ÷ CPU per record) ÷ the baseline's records/s: a throughput
// ratio near it means Sabre used the cores it had, and a bound below the
// target means its CPU per record, not its parallelism, misses it.
// The default counts make every run sustained, ≥ 8 s a Sabre run here: the
// figures are the steady state a long-running job sees, not worker start-up
// and JIT warm-up (with the 2–3 s runs used before 2026-12-07 15:45 UTC,
// market-bars at W=2 measured 29 % below its sustained rate), and
// card-fraud's one-minute windows reach their steady state (ten minutes of
// event time, windows purged and their accumulators reused). Start-up is
// measured apart: each round also runs every configuration on
// 1000 records (STARTUP_COUNT), reported as "start-up" (the wall and CPU seconds of
// that whole tiny run); --skip-startup leaves those runs out (no start-up figures).
//   --jobs bars,fraud,core  --examples  --count N (pipeline jobs; default bars 60M, fraud 6M,
//   card-fraud 6M, market-bars 45M)
//   --core-count N (default 150M)  --workers 1,2  --partitions 8  --repeat 3  --smoke  --skip-startup
//   --job FILE --baseline bars|fraud|card-fraud|market-bars   bench a job module against a baseline
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { availableParallelism, loadavg } from 'node:os';
import { progress, report, stats } from './bench-util.js';
import type { BaselineName, RunFigures } from './pipeline-run.js';

const RUNNER = fileURLToPath(new URL('./pipeline-run.js', import.meta.url));
const JOBS_DIR = new URL('./jobs/', import.meta.url);
/** The shipped example jobs (the repository's jobs/, beside dist/). */
const EXAMPLES_DIR = new URL('../../jobs/', import.meta.url);
const EXAMPLES = ['card-fraud', 'market-bars'];
/** pipeline-run.ts BASELINES (importing it would run it). */
const BASELINES: readonly BaselineName[] = ['bars', 'fraud', 'core', 'card-fraud', 'market-bars'];
const DEFAULT_COUNT: Record<BaselineName, number> = {
  bars: 60_000_000, fraud: 6_000_000, core: 150_000_000, 'card-fraud': 6_000_000, 'market-bars': 45_000_000,
};
const SMOKE_COUNT = 20_000;
/** Records of the start-up runs: enough to pass every stage once, too few to measure throughput. */
const STARTUP_COUNT = 1_000;

const { values: v } = parseArgs({
  options: {
    jobs: { type: 'string', default: 'bars,fraud,core' }, job: { type: 'string' }, baseline: { type: 'string' },
    count: { type: 'string' }, 'core-count': { type: 'string' }, workers: { type: 'string', default: '1,2' },
    partitions: { type: 'string', default: '8' }, repeat: { type: 'string' }, smoke: { type: 'boolean', default: false },
    examples: { type: 'boolean', default: false }, 'skip-startup': { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (v.help) {
  // This file's opening comment is the usage.
  const source = readFileSync(fileURLToPath(new URL('../../bench/pipeline.ts', import.meta.url)), 'utf8');
  const lines = source.split('\n');
  const head = lines.slice(0, lines.findIndex((l) => !l.startsWith('//')));
  process.stdout.write(`${head.map((l) => l.replace(/^\/\/ ?/, '')).join('\n')}\n`);
  process.exit(0);
}

interface JobConfig { name: string; file: string | undefined; baseline: BaselineName; count: number }

const smoke = v.smoke === true;
const skipStartup = v['skip-startup'] === true;
const repeat = Number(v.repeat ?? (smoke ? 1 : 3));
const workers = v.workers.split(',').map(Number);
const partitions = Number(v.partitions);
const countOf = (b: BaselineName): number => (b === 'core'
  ? Number(v['core-count'] ?? (smoke ? SMOKE_COUNT : DEFAULT_COUNT.core))
  : Number(v.count ?? (smoke ? SMOKE_COUNT : DEFAULT_COUNT[b])));

function configs(): JobConfig[] {
  const names = v.jobs.split(',').map((s) => s.trim()).filter(Boolean);
  if (v.examples) for (const n of EXAMPLES) if (!names.includes(n)) names.push(n);
  for (const n of names) if (!BASELINES.includes(n as BaselineName)) throw new Error(`--jobs ${n}: one of ${BASELINES.join(', ')}`);
  if (v.job !== undefined) {
    // A job module of one's own, against the baseline of the same logic; core stays beside it when listed.
    const b = v.baseline as BaselineName | undefined;
    if (b === undefined || b === 'core' || !BASELINES.includes(b)) {
      throw new Error(`--job FILE needs --baseline ${BASELINES.filter((x) => x !== 'core').join('|')} (the plain Node version of its logic)`);
    }
    const out: JobConfig[] = [{ name: v.job, file: resolve(v.job), baseline: b, count: countOf(b) }];
    if (names.includes('core')) out.push({ name: 'core', file: undefined, baseline: 'core', count: countOf('core') });
    return out;
  }
  return names.map((n) => ({
    name: n,
    file: n === 'core' ? undefined : fileURLToPath(EXAMPLES.includes(n) ? new URL(`${n}.ts`, EXAMPLES_DIR) : new URL(`${n}.js`, JOBS_DIR)),
    baseline: n as BaselineName, count: countOf(n as BaselineName),
  }));
}

function runChild(c: JobConfig, side: 'sabre' | 'baseline', w?: number, count = c.count): RunFigures {
  const args = [RUNNER, '--side', side, '--baseline', c.baseline, '--count', String(count), '--partitions', String(partitions)];
  if (c.file) args.push('--job', c.file);
  if (w !== undefined) args.push('--workers', String(w));
  const out = execFileSync(process.execPath, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 24 });
  return JSON.parse(out.trim().split('\n').pop()!) as RunFigures;
}

const loadAvgAtStart = Math.round(loadavg()[0]! * 100) / 100;
const CORES = availableParallelism();
const jobs = configs();
const runs = new Map<string, RunFigures[]>();
const push = (k: string, f: RunFigures): void => { runs.set(k, [...(runs.get(k) ?? []), f]); };
for (let r = 1; r <= repeat; r++) {
  for (const c of jobs) {
    for (const w of workers) {
      progress(`[bench:pipeline] round ${r}/${repeat}: ${c.name} sabre W=${w} P=${partitions}, ${c.count} records`);
      push(`${c.name}/sabre/${w}`, runChild(c, 'sabre', w));
    }
    progress(`[bench:pipeline] round ${r}/${repeat}: ${c.name} baseline (single-threaded Node), ${c.count} records`);
    push(`${c.name}/baseline`, runChild(c, 'baseline'));
    if (skipStartup) continue;
    progress(`[bench:pipeline] round ${r}/${repeat}: ${c.name} start-up runs, ${STARTUP_COUNT} records`);
    for (const w of workers) push(`${c.name}/sabre/${w}/startup`, runChild(c, 'sabre', w, STARTUP_COUNT));
    push(`${c.name}/baseline/startup`, runChild(c, 'baseline', undefined, STARTUP_COUNT));
  }
}
progress('');

const round = (x: number, d = 3): number => Math.round(x * 10 ** d) / 10 ** d;
/** A configuration's fixed cost: the whole run of STARTUP_COUNT records (medians over rounds); none with --skip-startup. */
const startup = (fs: RunFigures[] | undefined) => (fs === undefined ? undefined : {
  records: STARTUP_COUNT,
  wallSeconds: stats(fs.map((f) => round(f.wallSeconds))),
  cpuSeconds: stats(fs.map((f) => round(f.cpuSeconds))),
});
const figures = (fs: RunFigures[]) => ({
  recordsPerSec: stats(fs.map((f) => Math.round(f.recordsPerSec))),
  cpuMicrosPerRecord: stats(fs.map((f) => round(f.cpuMicrosPerRecord))),
  wallSeconds: stats(fs.map((f) => round(f.wallSeconds))),
  results: [...new Set(fs.map((f) => f.results))],
  // Outputs per output ('' the default sink), as `name:count` joined by spaces; one entry per distinct split.
  sinks: [...new Set(fs.map((f) => Object.entries(f.sinks ?? {}).map(([n, c]) => `${n || 'default'}:${c}`).join(' ')))],
  late: [...new Set(fs.map((f) => f.late))],
});

const errors: string[] = [];
const perJob = jobs.map((c) => {
  const base = { ...figures(runs.get(`${c.name}/baseline`)!), startup: startup(runs.get(`${c.name}/baseline/startup`)) };
  const sabre = workers.map((w) => ({
    workers: w, partitions, ...figures(runs.get(`${c.name}/sabre/${w}`)!), startup: startup(runs.get(`${c.name}/sabre/${w}/startup`)),
  }));
  const ratios = sabre.map((s) => ({
    workers: s.workers,
    // > 1: Sabre moves more records per second than the baseline.
    throughput: round(s.recordsPerSec.median / base.recordsPerSec.median),
    // > 1: Sabre spends more CPU per record (all its threads) than the baseline's one thread.
    cpuPerRecord: round(s.cpuMicrosPerRecord.median / base.cpuMicrosPerRecord.median),
    // The most throughput ÷ baseline Sabre's CPU per record allows on this machine's cores (all busy).
    cpuBound: round(CORES / (s.cpuMicrosPerRecord.median * 1e-6) / base.recordsPerSec.median),
  }));
  const counts = { baseline: base.results, ...Object.fromEntries(sabre.map((s) => [`sabreW${s.workers}`, s.results])) };
  const all = Object.values(counts).flat();
  const perSink = { baseline: base.sinks, ...Object.fromEntries(sabre.map((s) => [`sabreW${s.workers}`, s.sinks])) };
  let error: string | undefined;
  if (new Set(all).size !== 1 || new Set(Object.values(perSink).flat()).size !== 1) {
    error = `OUTPUT COUNT MISMATCH for ${c.name}: ${JSON.stringify(counts)} per output ${JSON.stringify(perSink)} — Sabre and the baseline did not compute the same windows`;
    errors.push(error);
  }
  return { job: c.name, file: c.file, baseline: c.baseline, records: c.count, outputs: counts, outputsPerSink: perSink, sabre, baselineNode: base, ratios, ...(error ? { error } : {}) };
});

report('pipeline', {
  // smoke runs are left out of docs/BENCHMARKS.md (scripts/bench-report.mjs).
  ...(smoke ? { smoke } : {}), repeat, partitions, workers, loadAvgAtStart,
  jobs: perJob,
  ...(errors.length > 0 ? { error: errors.join('; ') } : {}),
});

// A short table for people (stderr; stdout is the JSON).
const M = (x: number): string => (x / 1e6).toFixed(2);
const up = (s: { startup: ReturnType<typeof startup> }): string => (s.startup?.wallSeconds.median.toFixed(2) ?? '–').padStart(9);
const lines = ['', `job         config          M rec/s   CPU µs/rec   outputs  start-up s   vs baseline: throughput  CPU/rec  bound on ${CORES} cores`];
for (const j of perJob) {
  lines.push(`${j.job.slice(-11).padEnd(11)} ${'baseline (1T)'.padEnd(14)}  ${M(j.baselineNode.recordsPerSec.median).padStart(7)}   ${j.baselineNode.cpuMicrosPerRecord.median.toFixed(2).padStart(10)}   ${String(j.outputs.baseline.join('/')).padStart(7)}  ${up(j.baselineNode)}`);
  for (const s of j.sabre) {
    const r = j.ratios.find((x) => x.workers === s.workers)!;
    lines.push(`${''.padEnd(11)} ${`sabre W=${s.workers} P=${s.partitions}`.padEnd(14)}  ${M(s.recordsPerSec.median).padStart(7)}   ${s.cpuMicrosPerRecord.median.toFixed(2).padStart(10)}   ${String(s.results.join('/')).padStart(7)}  ${up(s)}   ${`${r.throughput.toFixed(2)}×`.padStart(22)}  ${`${r.cpuPerRecord.toFixed(2)}×`.padStart(7)}  ${`${r.cpuBound.toFixed(2)}×`.padStart(8)}`);
  }
}
for (const e of errors) lines.push(`ERROR: ${e}`);
process.stderr.write(lines.join('\n') + '\n');
if (errors.length > 0) process.exitCode = 1;
