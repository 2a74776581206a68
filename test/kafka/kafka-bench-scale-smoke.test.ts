// bench:scale (bench/scale.ts) at tiny sizes against the real broker: its JSON
// has the three figures, each a positive measured number, and the result line
// is appended where SABRE_BENCH_DIR points. Needs the build (dist/bench).
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, expect, it } from 'vitest';
import { brokers, describeKafka } from '../helpers/kafka-env.js';

const ROOT = join(import.meta.dirname, '../..');
const dir = mkdtempSync(join(tmpdir(), 'sabre-bench-scale-smoke-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

type Doc = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

function expectStats(s: Doc | undefined, runs: number): void {
  expect(s).toBeTruthy();
  expect(s!.runs).toHaveLength(runs);
  expect(s!.min).toBeGreaterThan(0);
  expect(s!.min).toBeLessThanOrEqual(s!.median);
  expect(s!.median).toBeLessThanOrEqual(s!.max);
}

describeKafka('bench:scale, smoke sizes', () => {
  it('prints throughput of 1 and 2 members and the plain baseline, a restore, and a rebalance pause, all positive', async () => {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [join(ROOT, 'dist/bench/scale.js'),
      '--count', '20000', '--rounds', '1', '--max-members', '2', '--restore-keys', '3000', '--rate', '4000',
      '--warm-seconds', '3', '--after-seconds', '5'], {
      cwd: ROOT, encoding: 'utf8', env: { ...process.env, KAFKA_BROKERS: brokers, SABRE_BENCH_DIR: dir }, timeout: 120_000, maxBuffer: 1 << 22,
    });
    const doc = JSON.parse(stdout) as Doc;
    expect(doc.scenario).toBe('scale');
    expect(doc.machine.cores).toBeGreaterThan(0);
    expect(stderr).toContain('overhead of membership, not scaling');

    const configs = doc.throughput.configs as Doc;
    expect(Object.keys(configs)).toEqual(['plain', 'members1', 'members2']);
    expect(configs.plain.changelog).toBe(false);
    for (const c of Object.values(configs)) {
      expectStats(c.recordsPerSec, 1);
      expectStats(c.cpuUsPerRecord, 1);
    }
    expect(doc.throughput.produce.recordsPerSec).toBeGreaterThan(0);

    expect(doc.restore).toHaveLength(1);
    const r = doc.restore[0] as Doc;
    expect(r.keys).toBe(3000);
    expect(r.withState).toBeGreaterThan(0);
    expect(r.withState).toBeLessThanOrEqual(12);
    for (const k of ['bytes', 'bytesPerPartition', 'restoreMs', 'restoreMsPerPartition']) expect(r[k], k).toBeGreaterThan(0);

    const b = doc.rebalance as Doc;
    expect(b.offeredRate).toBe(4000);
    expect(typeof b.sustained).toBe('boolean');
    expect(b.achievedRate).toBeGreaterThan(0);
    expect(b.joinToBothRestoredMs).toBeGreaterThan(0);
    expect(b.gapMs).toBeGreaterThan(0);
    expect(b.samples).toBeGreaterThan(0);
    // The second member took half the partitions: the first was assigned again after its first assignment.
    expect(b.firstMemberRestores.length).toBeGreaterThanOrEqual(2);
    for (const w of ['before', 'afterJoin']) {
      expect(b.endToEnd[w].results, w).toBeGreaterThan(0);
      expect(b.endToEnd[w].p99Ms, w).toBeGreaterThan(0);
    }

    // A member that exited with an error is recorded and its run repeated; the figures above are of runs that completed.
    expect(Array.isArray(doc.failedRuns)).toBe(true);

    const files = readdirSync(dir).filter((f) => /^scale-\d{4}-\d\d-\d\d\.json$/.test(f));
    expect(files).toHaveLength(1);
    expect(JSON.parse(readFileSync(join(dir, files[0]!), 'utf8').trim().split('\n').pop()!).scenario).toBe('scale');
  }, 150_000);
});
