// The shipped example jobs (jobs/card-fraud.ts, jobs/market-bars.ts) on the
// built-in generator, pinned by golden files, and checked three ways: the
// generator run equals the golden output; the same records written by
// `sabre generate` and read from a file give the same output; the reference
// pipeline over those records gives it too (so the golden files are what the
// API means, not merely what the engine did once). SABRE_UPDATE_GOLDEN=1
// rewrites the golden files from the engine's run.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { runSabre } from '../../helpers/sabre-process.js';
import { partitionOfKey, runReferencePipeline, tableFromLines } from '../../reference/reference-pipeline.js';
import type { JobPlan } from '../../../src/job/plan.js';

const dir = mkdtempSync(join(tmpdir(), 'sabre-example-golden-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const GOLDEN = resolve('test/golden/jobs');
const UPDATE = process.env.SABRE_UPDATE_GOLDEN === '1';

interface Example {
  job: string;
  /** Its named sink (the default sink holds the alerts). */
  named: string;
  /** Generator settings: small enough for golden files, long enough in event time for windows and rules to fire. */
  gen: string[];
}

const EXAMPLES: Example[] = [
  { job: 'card-fraud', named: 'features', gen: ['--count', '20000', '--keys', '200', '--events-per-ms', '0.1', '--seed', '7'] },
  { job: 'market-bars', named: 'bars', gen: ['--count', '20000', '--keys', '20', '--events-per-ms', '0.2', '--seed', '7'] },
];
const P = 4;

const sorted = (path: string): string[] => readFileSync(path, 'utf8').split('\n').filter(Boolean).sort();
const canonical = (o: unknown): string => JSON.stringify(o);

async function run(e: Example, source: string[], tag: string): Promise<{ alerts: string[]; named: string[] }> {
  const alerts = join(dir, `${e.job}-${tag}-alerts.ndjson`);
  const named = join(dir, `${e.job}-${tag}-${e.named}.ndjson`);
  const r = await runSabre(['run', '--job', `jobs/${e.job}.ts`, ...source, '--partitions', String(P), '--workers', '2',
    '--sink', `file:${alerts}`, '--sinks', `${e.named}=file:${named}`, '--idle-timeout', '1h', '--http-port', '0', '--progress', '0']);
  expect(r.code, r.stderr).toBe(0);
  return { alerts: sorted(alerts), named: sorted(named) };
}

describe('example jobs', () => {
  it.each(EXAMPLES)('$job: generator run = golden = the same records from a file = the reference pipeline', async (e) => {
    const gen = await run(e, ['--source', 'generator', ...e.gen], 'gen');
    const goldenAlerts = join(GOLDEN, `${e.job}.alerts.ndjson`);
    const goldenNamed = join(GOLDEN, `${e.job}.${e.named}.ndjson`);
    if (UPDATE) {
      writeFileSync(goldenAlerts, gen.alerts.join('\n') + '\n');
      writeFileSync(goldenNamed, gen.named.join('\n') + '\n');
    }
    expect(gen.alerts).toEqual(sorted(goldenAlerts));
    expect(gen.named).toEqual(sorted(goldenNamed));
    expect(gen.alerts.length, 'the settings must make the rules fire').toBeGreaterThan(0);

    // The same records, as `sabre generate` writes them, read from a file.
    const kind = e.job === 'card-fraud' ? 'card-txns' : 'market';
    const records = join(dir, `${e.job}-records.ndjson`);
    writeFileSync(records, execFileSync(process.execPath, ['bin/sabre.js', 'generate', '--generator', kind, ...e.gen], { maxBuffer: 1 << 28 }));
    const fromFile = await run(e, ['--source', `file:${records}`], 'file');
    expect(fromFile.alerts).toEqual(gen.alerts);
    expect(fromFile.named).toEqual(gen.named);

    // The reference pipeline over those records.
    const plan = await examplePlan(e.job);
    const input = readFileSync(records, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as unknown);
    const tables = new Map([['data/card-profiles.ndjson', tableFromLines(readFileSync('jobs/data/card-profiles.ndjson', 'utf8'), 'card')]]);
    const ref = runReferencePipeline(plan, input, { partitions: P, partitionOf: partitionOfKey(P), tables });
    expect(ref.sinks.get('')!.map(canonical).sort()).toEqual(gen.alerts);
    expect(ref.sinks.get(e.named)!.map(canonical).sort()).toEqual(gen.named);
  }, 180_000);
});

/** A job's plan in-process, its 'sabre-stream' import pointed at src/job (as jobs/tsconfig.json maps it). */
async function examplePlan(name: string): Promise<JobPlan> {
  const { planOf } = await import('../../../src/job/plan.js');
  const text = readFileSync(resolve('jobs', `${name}.ts`), 'utf8').replace(/from 'sabre-stream'/, `from ${JSON.stringify(resolve('src/job/index.ts'))}`);
  const file = join(dir, `${name}.ts`);
  writeFileSync(file, text);
  return planOf((await import(pathToFileURL(file).href)) as Record<string, unknown>, file);
}
