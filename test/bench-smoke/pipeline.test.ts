// bench:pipeline in smoke mode: the bars, fraud and core jobs, and the shipped
// example jobs (jobs/card-fraud.ts, jobs/market-bars.ts), on Sabre (W=1, W=2)
// and their plain single-threaded Node baselines, each in its own process;
// every configuration's output count is the same (per output, for the
// examples' alerts and named sinks), and on a small input Sabre's outputs and
// the baseline's are the same objects. A job file
// benched against the wrong baseline is reported as a mismatch (exit 1).
// Needs the build (npx tsc -p tsconfig.json).
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '../..');
const BENCH = join(ROOT, 'dist/bench/pipeline.js');
const RUN = join(ROOT, 'dist/bench/pipeline-run.js');
const JOB = (name: string): string => join(ROOT, `dist/bench/jobs/${name}.js`);
const EXAMPLE = (name: string): string => join(ROOT, `jobs/${name}.ts`);
const dir = mkdtempSync(join(tmpdir(), 'sabre-bench-pipeline-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

type Doc = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

function pipeline(args: string[]): { status: number | null; doc: Doc; stderr: string } {
  const r = spawnSync(process.execPath, [BENCH, '--smoke', ...args], {
    cwd: ROOT, encoding: 'utf8', env: { ...process.env, SABRE_BENCH_DIR: dir }, timeout: 180_000,
  });
  return { status: r.status, doc: JSON.parse(r.stdout) as Doc, stderr: r.stderr };
}

const canon = (path: string): string[] => readFileSync(path, 'utf8').split('\n').filter(Boolean)
  .map((l) => JSON.stringify(Object.fromEntries(Object.entries(JSON.parse(l) as object).sort()))).sort();

describe('bench:pipeline --smoke', () => {
  it('bars, fraud and core: Sabre W=1 and W=2 and the baseline, the same output count, throughput and CPU per record with ratios', () => {
    const { status, doc, stderr } = pipeline([]);
    expect(status, stderr).toBe(0);
    expect(doc.scenario).toBe('pipeline');
    expect(doc.error).toBeUndefined();
    expect(doc.jobs.map((j: Doc) => j.job)).toEqual(['bars', 'fraud', 'core']);
    for (const j of doc.jobs) {
      expect(j.records).toBe(20_000);
      const counts = Object.values(j.outputs).flat() as number[];
      expect(counts).toHaveLength(3);
      expect(new Set(counts).size).toBe(1);
      expect(counts[0]).toBeGreaterThan(0);
      expect(j.sabre.map((s: Doc) => s.workers)).toEqual([1, 2]);
      for (const f of [j.baselineNode, ...j.sabre]) {
        expect(f.recordsPerSec.median).toBeGreaterThan(0);
        expect(f.cpuMicrosPerRecord.median).toBeGreaterThan(0);
        expect(f.late).toEqual([0]);
        // Start-up, measured apart on a tiny run of its own: Sabre's worker start-up is there, the baseline's loop is not.
        expect(f.startup.records).toBe(1000);
        expect(f.startup.wallSeconds.median).toBeGreaterThan(0);
        expect(f.startup.cpuSeconds.median).toBeGreaterThan(0);
      }
      for (const s of j.sabre) expect(s.startup.wallSeconds.median).toBeGreaterThan(j.baselineNode.startup.wallSeconds.median);
      for (const r of j.ratios) {
        const s = j.sabre.find((x: Doc) => x.workers === r.workers);
        expect(r.throughput).toBeCloseTo(s.recordsPerSec.median / j.baselineNode.recordsPerSec.median, 2);
        expect(r.cpuPerRecord).toBeCloseTo(s.cpuMicrosPerRecord.median / j.baselineNode.cpuMicrosPerRecord.median, 2);
        // The bound: the records/s Sabre's CPU per record allows on every core, over the baseline's.
        expect(r.cpuBound).toBeCloseTo(availableParallelism() / (s.cpuMicrosPerRecord.median * 1e-6) / j.baselineNode.recordsPerSec.median, 2);
      }
    }
    expect(stderr).toMatch(/job\s+config\s+M rec\/s\s+CPU µs\/rec\s+outputs\s+start-up s.*bound on \d+ cores/);
  }, 200_000);

  for (const name of ['bars', 'fraud']) {
    it(`${name}: Sabre's outputs and the baseline's are the same objects`, () => {
      const sabreOut = join(dir, `${name}-sabre.ndjson`);
      const baseOut = join(dir, `${name}-baseline.ndjson`);
      const count = ['--count', '60000', '--baseline', name, '--job', JOB(name)];
      const s = JSON.parse(execFileSync(process.execPath, [RUN, '--side', 'sabre', ...count, '--workers', '2', '--out', sabreOut], { cwd: ROOT, encoding: 'utf8' })) as Doc;
      const b = JSON.parse(execFileSync(process.execPath, [RUN, '--side', 'baseline', ...count, '--out', baseOut], { cwd: ROOT, encoding: 'utf8' })) as Doc;
      expect(b.results).toBe(s.results);
      const lines = canon(sabreOut);
      expect(lines.length).toBe(s.results);
      expect(lines.length).toBeGreaterThan(10);
      expect(canon(baseOut)).toEqual(lines);
    }, 120_000);
  }

  it('--examples: card-fraud and market-bars whole, the same output count per output (alerts and the named sink)', () => {
    // Start-up runs are the first case's; --skip-startup leaves them out here (and in the last case).
    const { status, doc, stderr } = pipeline(['--jobs', 'card-fraud', '--examples', '--skip-startup']);
    expect(status, stderr).toBe(0);
    expect(doc.error).toBeUndefined();
    expect(doc.jobs.map((j: Doc) => [j.job, j.file, j.baseline])).toEqual([
      ['card-fraud', EXAMPLE('card-fraud'), 'card-fraud'], ['market-bars', EXAMPLE('market-bars'), 'market-bars'],
    ]);
    for (const j of doc.jobs) {
      const named = j.job === 'card-fraud' ? 'features' : 'bars';
      const splits = Object.values(j.outputsPerSink).flat() as string[];
      expect(splits).toHaveLength(3);
      expect(new Set(splits).size).toBe(1);
      const [alerts, other] = splits[0]!.split(' ').map((x) => x.split(':'));
      expect(alerts![0]).toBe('default');
      expect(other![0]).toBe(named);
      expect(Number(other![1])).toBeGreaterThan(0);
      expect(Number(alerts![1]) + Number(other![1])).toBe(j.outputs.baseline[0]);
      for (const f of [j.baselineNode, ...j.sabre]) {
        expect(f.late).toEqual([0]);
        expect(f.startup).toBeUndefined();
      }
    }
    expect(stderr).toMatch(/sabre W=2 P=8 +[\d.]+ +[\d.]+ +\d+ +– /);
  }, 200_000);

  for (const name of ['card-fraud', 'market-bars']) {
    it(`${name} (the example job whole): Sabre's outputs and the baseline's are the same objects, alerts and the named sink`, () => {
      const named = name === 'card-fraud' ? 'features' : 'bars';
      const sabreOut = join(dir, `${name}-sabre.ndjson`);
      const baseOut = join(dir, `${name}-baseline.ndjson`);
      // Event time enough for every rule: the crossover needs 20 one-second closes (30 s here), over-limit a minute's spending (60 s).
      const count = ['--count', name === 'card-fraud' ? '600000' : '300000', '--baseline', name, '--job', EXAMPLE(name)];
      const s = JSON.parse(execFileSync(process.execPath, [RUN, '--side', 'sabre', ...count, '--workers', '2', '--out', sabreOut], { cwd: ROOT, encoding: 'utf8' })) as Doc;
      const b = JSON.parse(execFileSync(process.execPath, [RUN, '--side', 'baseline', ...count, '--out', baseOut], { cwd: ROOT, encoding: 'utf8' })) as Doc;
      expect(b.sinks).toEqual(s.sinks);
      expect(s.late).toBe(0);
      const alerts = canon(sabreOut);
      const rows = canon(`${sabreOut}.${named}`);
      expect(alerts.length).toBe(s.sinks['']);
      expect(rows.length).toBe(s.sinks[named]);
      expect(rows.length).toBeGreaterThan(100);
      expect(canon(baseOut)).toEqual(alerts);
      expect(canon(`${baseOut}.${named}`)).toEqual(rows);
      // Every rule of the example fires on this input, so each is compared.
      const rules = new Set(alerts.map((l) => (JSON.parse(l) as { rule: string }).rule));
      expect([...rules].sort()).toEqual(name === 'card-fraud'
        ? ['decline-rate', 'declines-then-approval', 'over-limit'] : ['ma-crossover', 'price-jump']);
    }, 120_000);
  }

  it('--job FILE --baseline NAME benches a job module; against the wrong baseline the count mismatch is an error (exit 1)', () => {
    const ok = pipeline(['--job', JOB('bars'), '--baseline', 'bars', '--jobs', 'bars', '--skip-startup']);
    expect(ok.status, ok.stderr).toBe(0);
    expect(ok.doc.jobs.map((j: Doc) => [j.file, j.baseline])).toEqual([[JOB('bars'), 'bars']]);
    const wrong = pipeline(['--job', JOB('bars'), '--baseline', 'fraud', '--jobs', 'bars', '--skip-startup']);
    expect(wrong.status).toBe(1);
    expect(wrong.doc.error).toMatch(/OUTPUT COUNT MISMATCH/);
    expect(wrong.doc.jobs[0].error).toMatch(/OUTPUT COUNT MISMATCH/);
    expect(wrong.stderr).toMatch(/ERROR: OUTPUT COUNT MISMATCH/);
  }, 200_000);
});
