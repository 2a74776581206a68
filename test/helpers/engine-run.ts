// Runs the real engine (built, from dist/) over an array of records through
// the library API and collects what it emits.
import { readFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEngine, type EngineOptions, type RunSummary, type WindowResult } from '../../dist/src/index.js';
import { murmur2, toPositive } from '../../dist/src/index.js';

export interface RunOutput {
  results: WindowResult[];
  lines: string[];
  late: { key: string; ts: number; value: number }[];
  summary: RunSummary;
}

export function tmpDir(): string {
  return mkdtempSync(join(tmpdir(), 'sabre-test-'));
}

export async function runEngine(records: unknown[], options: EngineOptions): Promise<RunOutput> {
  const dir = tmpDir();
  const engine = createEngine({
    source: 'api', sink: `file:${join(dir, 'out.ndjson')}`, lateOutput: `file:${join(dir, 'late.ndjson')}`,
    deadLetter: `file:${join(dir, 'dead.ndjson')}`, progress: 0, httpPort: 0, ...options,
  });
  const results: WindowResult[] = [];
  engine.onResult((r) => results.push(r));
  await engine.start();
  for (const r of records) await engine.write(r);
  const summary = await engine.stop();
  const read = (f: string): string[] => readFileSync(join(dir, f), 'utf8').split('\n').filter(Boolean);
  const late = read('late.ndjson').map((l) => JSON.parse(l) as { key: string; ts: number; value: number });
  return { results, lines: read('out.ndjson'), late, summary };
}

/** The engine's partition function, for the reference's per-partition watermarks. */
export function partitionOf(partitions: number, keyGroups = 128): (key: string) => number {
  const enc = new TextEncoder();
  return (key) => (toPositive(murmur2(enc.encode(key))) % keyGroups) % partitions;
}
