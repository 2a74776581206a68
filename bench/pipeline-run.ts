// One measured run of bench:pipeline, in a process of its own so its CPU time
// (process.cpuUsage(): every thread of the process, user + system) is the
// run's alone:
//   node dist/bench/pipeline-run.js --side sabre --job FILE --count N --workers W --partitions P
//   node dist/bench/pipeline-run.js --side baseline --baseline bars|fraud|card-fraud|market-bars --job FILE --count N
//   node dist/bench/pipeline-run.js --side sabre|baseline --baseline core --count N ...
// The job's generator settings and out-of-orderness (resolved as `sabre run
// --job` resolves them) feed the baseline too, so both see the same records.
// --out FILE writes the outputs as NDJSON (for the smoke test's comparison):
// the default output to FILE, a job's named output NAME to FILE.NAME.
// Prints one JSON line.
import { parseArgs } from 'node:util';
import { createWriteStream, type WriteStream } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { createEngine, resolveOptions, type RawOptions } from '../src/index.js';
import { loadJob } from '../src/engine/load-job.js';
import { jobOptions } from '../src/options/job-options.js';
import type { LoadedJob } from '../src/job/plan.js';
import type { CardTxn, MarketTrade } from '../src/io/generator/job-records.js';
import { runSingleThread } from './baselines/single-thread.js';
import { JobRecordSource } from './baselines/job-record-source.js';
import { BarsBaseline } from './baselines/pipeline-bars.js';
import { FraudBaseline } from './baselines/pipeline-fraud.js';
import { CardFraudBaseline, loadProfiles } from './baselines/example-card-fraud.js';
import { MarketBarsBaseline } from './baselines/example-market-bars.js';
import { coreBaselineOptions, coreEngineOptions } from './core-job.js';

export const BASELINES = ['bars', 'fraud', 'core', 'card-fraud', 'market-bars'] as const;
export type BaselineName = (typeof BASELINES)[number];

export interface RunFigures {
  side: 'sabre' | 'baseline';
  records: number;
  results: number;
  /** Outputs per output ('' the default sink, then a job's named sinks), where the run counts them apart. */
  sinks?: Record<string, number>;
  late: number;
  wallSeconds: number;
  cpuSeconds: number;
  recordsPerSec: number;
  cpuMicrosPerRecord: number;
  workers?: number;
  partitions?: number;
  /** The baseline's output lines' characters (it serializes each output, as Sabre does). */
  outputChars?: number;
}

const CORE_KEYS = 10_000;
/** The characters of the baseline's output lines (kept, so the lines are made for something). */
let outputChars = 0;

function figures(side: RunFigures['side'], records: number, results: number, late: number, t0: number, cpu0: NodeJS.CpuUsage): RunFigures {
  const wallSeconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  return { side, records, results, late, wallSeconds, cpuSeconds, recordsPerSec: records / wallSeconds, cpuMicrosPerRecord: (cpuSeconds * 1e6) / records };
}

async function sabre(job: LoadedJob | undefined, count: number, workers: number, partitions: number, out: string | undefined): Promise<RunFigures> {
  const sink = out ? `file:${out}` : 'null';
  const named = (job?.plan.sinkNames ?? []).filter((n) => n !== '');
  const sinks = named.map((n) => `${n}=${out ? `file:${out}.${n}` : 'null'}`).join(',');
  const options = job
    ? { job, count, workers, partitions, sink, ...(sinks ? { sinks } : {}), lateOutput: 'null', progress: 0, httpPort: 0 }
    : { ...coreEngineOptions({ count, keys: CORE_KEYS, partitions, workers }), sink };
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const engine = createEngine(options);
  await engine.start();
  const s = await engine.done;
  const f = figures('sabre', s.recordsIn, s.results, s.late, t0, cpu0);
  const perSink = job ? Object.fromEntries(engine.stats().job!.sinks.map((x) => [x.name, x.outputs])) : undefined;
  return { ...f, ...(perSink ? { sinks: perSink } : {}), workers, partitions };
}

/** The job's records and bound as `sabre run --job` resolves them (job settings under the given count). */
function jobSettings(job: LoadedJob, count: number) {
  const o = resolveOptions(jobOptions({ count }, job.plan) as RawOptions);
  return { seed: o.seed, keys: o.keys, disorder: o.disorder, eventsPerMs: o.eventsPerMs, outOfOrderness: o.outOfOrderness };
}

function baseline(name: BaselineName, job: LoadedJob | undefined, count: number, out: string | undefined): RunFigures {
  const lines = out ? createWriteStream(out) : undefined;
  if (name === 'core') {
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    const r = runSingleThread({ ...coreBaselineOptions({ count, keys: CORE_KEYS }), collect: out !== undefined });
    const f = figures('baseline', count, r.windowsFired, r.late, t0, cpu0);
    for (const w of r.results ?? []) lines!.write(JSON.stringify(w) + '\n');
    lines?.end();
    return f;
  }
  if (!job) throw new Error(`--baseline ${name} needs --job (its generator settings and bound)`);
  const s = jobSettings(job, count);
  const spec = job.plan.settings.source;
  if (spec.kind !== 'generator') throw new Error(`the job ${job.plan.module} does not read the generator`);
  let results = 0;
  const perSink: Record<string, number> = { '': 0 };
  for (const n of job.plan.sinkNames) perSink[n] = 0;
  const named = new Map<string, WriteStream>();
  const emitTo = (output: string, r: object): void => {
    results++;
    perSink[output]!++;
    // Every output becomes its NDJSON line, as Sabre's workers make it for any sink (its null sink then drops the lines).
    const line = JSON.stringify(r);
    if (!out) {
      outputChars += line.length;
      return;
    }
    if (output === '') lines!.write(line + '\n');
    else {
      let w = named.get(output);
      if (w === undefined) named.set(output, w = createWriteStream(`${out}.${output}`));
      w.write(line + '\n');
    }
  };
  const emit = (r: object): void => emitTo('', r);
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const source = new JobRecordSource({ kind: spec.generator, ...s });
  let late: number;
  if (name === 'bars') {
    const b = new BarsBaseline(s.outOfOrderness, emit);
    for (let i = 0; i < count; i++) b.add(source.next(i) as MarketTrade);
    b.end();
    late = b.late;
  } else if (name === 'fraud') {
    const b = new FraudBaseline(s.outOfOrderness, emit);
    for (let i = 0; i < count; i++) b.add(source.next(i) as CardTxn);
    b.end();
    late = b.late;
  } else if (name === 'card-fraud') {
    // The profile table is read inside the measured span, as the engine's workers read it inside theirs.
    const profiles = loadProfiles(resolve(dirname(job.plan.module), 'data/card-profiles.ndjson'));
    const b = new CardFraudBaseline(s.outOfOrderness, profiles, emitTo);
    for (let i = 0; i < count; i++) b.add(source.next(i) as CardTxn);
    b.end();
    late = b.late;
  } else {
    const b = new MarketBarsBaseline(s.outOfOrderness, emitTo);
    for (let i = 0; i < count; i++) b.add(source.next(i) as MarketTrade);
    b.end();
    late = b.late;
  }
  const f = figures('baseline', count, results, late, t0, cpu0);
  lines?.end();
  for (const w of named.values()) w.end();
  return { ...f, sinks: perSink, outputChars };
}

const { values: v } = parseArgs({
  options: {
    side: { type: 'string' }, job: { type: 'string' }, baseline: { type: 'string' }, count: { type: 'string' },
    workers: { type: 'string', default: '1' }, partitions: { type: 'string', default: '8' }, out: { type: 'string' },
  },
});
const name = v.baseline as BaselineName | undefined;
if (name !== undefined && !BASELINES.includes(name)) throw new Error(`--baseline ${name}: one of ${BASELINES.join(', ')}`);
const job = v.job ? await loadJob(v.job) : undefined;
const count = Number(v.count);
const r = v.side === 'sabre'
  ? await sabre(name === 'core' ? undefined : job, count, Number(v.workers), Number(v.partitions), v.out)
  : baseline(name ?? 'bars', job, count, v.out);
process.stdout.write(JSON.stringify(r) + '\n');
