import { describe, expect, it, beforeAll } from 'vitest';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpDir } from '../../helpers/engine-run.js';
import { runSabre } from '../../helpers/sabre-process.js';

// --restart-limit N: a worker that fails every time it runs is restored from the last checkpoint N
// times, then the run fails with ERR_WORKER_CRASHED saying it gave up.
let dir: string;
let agg: string;

beforeAll(() => {
  dir = tmpDir();
  agg = join(dir, 'always-fails.mjs');
  // Fails in every worker thread (each restore starts new ones) once it has added 20,000 records and a
  // complete checkpoint exists, so every restart has a checkpoint to restore from.
  writeFileSync(agg, `import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
const cp = process.env.SABRE_TEST_CP;
let n = 0;
const checkpointed = () => readdirSync(cp).some((f) => /^chk-\\d+$/.test(f) && existsSync(join(cp, f, 'manifest.json')));
export default { name: 'fails', init: () => 0, add: (a, v) => {
  if (++n >= 20000 && n % 1000 === 0 && checkpointed()) throw new Error('user aggregate fails every time');
  return a + 1; }, merge: (a, b) => a + b, result: (a) => a };\n`);
});

const job = (cp: string, limit: string[]): string[] => ['run', '--source', 'generator', '--rate', '100000', '--keys', '100',
  '--window', 'tumbling:100ms', '--agg', 'count,fails', '--aggregate-module', agg, '--sink', 'null', '--partitions', '2', '--workers', '1',
  '--http-port', '0', '--progress', '0', '--checkpoint-dir', cp, '--checkpoint-interval', '100ms', ...limit];

async function run(cp: string, limit: string[]) {
  process.env.SABRE_TEST_CP = cp;
  try {
    mkdirSync(cp, { recursive: true });
    return await runSabre(job(cp, limit));
  } finally {
    delete process.env.SABRE_TEST_CP;
  }
}

const restoredIds = (stderr: string): number[] => [...stderr.matchAll(/restored from checkpoint (\d+)/g)].map((m) => Number(m[1]));

describe('--restart-limit', () => {
  it('exhausted: N restores from the last checkpoint, then the run fails with ERR_WORKER_CRASHED saying it gave up', async () => {
    const e = await run(join(dir, 'cp-2'), ['--restart-limit', '2']);
    expect(e.code, e.stderr).toBe(1);
    expect(e.stderr).toContain('restoring from the last checkpoint (restart 1 of 2)');
    expect(e.stderr).toContain('restoring from the last checkpoint (restart 2 of 2)');
    expect(e.stderr).not.toContain('restart 3 of');
    // Exactly two restores, each from a checkpoint at least as new as the one before.
    const ids = restoredIds(e.stderr);
    expect(ids.length).toBe(2);
    expect(ids[1]!).toBeGreaterThanOrEqual(ids[0]!);
    // The last line is the run's error: its stable code, the worker's own error, and that the limit was reached.
    const last = e.stderr.trim().split('\n').pop()!;
    expect(last).toMatch(/^sabre: ERR_WORKER_CRASHED: /);
    expect(last).toContain('user aggregate fails every time');
    expect(last).toContain('giving up after 2 restores from the last checkpoint (--restart-limit 2)');
  }, 120_000);

  it('0: the first failure fails the run, with no restore', async () => {
    const e = await run(join(dir, 'cp-0'), ['--restart-limit', '0']);
    expect(e.code, e.stderr).toBe(1);
    expect(restoredIds(e.stderr)).toEqual([]);
    expect(e.stderr).not.toContain('restoring from the last checkpoint');
    const last = e.stderr.trim().split('\n').pop()!;
    expect(last).toMatch(/^sabre: ERR_WORKER_CRASHED: .*user aggregate fails every time; giving up after 0 restores .*--restart-limit 0/);
  }, 60_000);
});
