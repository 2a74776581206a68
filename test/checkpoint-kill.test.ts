import { describe, expect, it, beforeAll } from 'vitest';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpDir } from './helpers/engine-run.js';
import { committedLines, runSabre, seeded, startSabre } from './helpers/sabre-process.js';

const JOB = ['--window', 'sliding:1s,100ms', '--out-of-orderness', '150ms', '--http-port', '0', '--progress', '0', '--dead-letter', 'null'];
let dir: string;
let input: string;
let reference: string[];
/** Wall time of an uninterrupted run: kill moments scale with it, so a loaded machine still gets kills mid-run. */
let referenceMs = 1000;

beforeAll(async () => {
  dir = tmpDir();
  input = join(dir, 'in.ndjson');
  writeFileSync(input, execFileSync('node', ['bin/sabre.js', 'generate', '--count', '1000000', '--keys', '3000'], { maxBuffer: 1 << 30 }));
  const ref = join(dir, 'ref.ndjson');
  const t0 = Date.now();
  const r = await runSabre(['run', '--source', `file:${input}`, '--sink', `file:${ref}`, ...JOB]);
  referenceMs = Date.now() - t0;
  expect(r.code).toBe(0);
  reference = readFileSync(ref, 'utf8').split('\n').filter(Boolean).sort();
  expect(reference.length).toBeGreaterThan(10_000);
}, 120_000);

describe('checkpoints: kill -9 and restart, file source → file sink', () => {
  it('20+ SIGKILLs at seeded random moments, restarts on random P and W: committed output equals an uninterrupted run', async () => {
    const rnd = seeded(20261122);
    const deadline = Date.now() + 180_000;
    let liveKills = 0;
    let restores = 0;
    let rounds = 0;
    // A round runs the job to completion through kills and restarts, then checks its output;
    // rounds repeat (fresh output and checkpoint dirs) until 20 kills have hit a live process.
    while (liveKills < 20 && Date.now() < deadline) {
      rounds++;
      const out = join(dir, `out-${rounds}.ndjson`);
      const cp = join(dir, `cp-${rounds}`);
      for (;;) {
        const P = [1, 2, 4, 8, 16][Math.floor(rnd() * 5)]!;
        const W = 1 + Math.floor(rnd() * 2);
        const { child, exit } = startSabre(['run', '--source', `file:${input}`, '--sink', `file:${out}`, ...JOB,
          '--checkpoint-dir', cp, '--checkpoint-interval', '150ms', '--partitions', String(P), '--workers', String(W)]);
        await new Promise((r) => setTimeout(r, 200 + rnd() * Math.max(500, referenceMs * 0.4)));
        const live = child.exitCode === null;
        if (live) child.kill('SIGKILL');
        const e = await exit;
        if (e.stderr.includes('restored from checkpoint')) restores++;
        if (!live || e.code === 0) {
          expect(e.code, e.stderr).toBe(0);
          break; // the job finished
        }
        liveKills++;
        if (Date.now() > deadline) {
          // Out of time: finish this round without kills, so its output can still be checked.
          const last = await runSabre(['run', '--source', `file:${input}`, '--sink', `file:${out}`, ...JOB, '--checkpoint-dir', cp]);
          expect(last.code, last.stderr).toBe(0);
          break;
        }
      }
      const got = committedLines(out);
      expect(got.length).toBe(reference.length);
      expect(got).toEqual(reference);
    }
    expect(liveKills).toBeGreaterThanOrEqual(20);
    expect(restores).toBeGreaterThan(5);
  }, 240_000);
});

describe('checkpoints: failures', () => {
  it('a worker that throws is reported and the run restores from the last checkpoint; --on-worker-error fail exits non-zero', async () => {
    const marker = join(dir, 'boom');
    const agg = join(dir, 'boom-agg.mjs');
    writeFileSync(agg, `import { existsSync, unlinkSync } from 'node:fs';
let n = 0;
export default { name: 'boom', init: () => 0, add: (a, v) => {
  if (++n === 400000 && existsSync(${JSON.stringify(marker)})) { unlinkSync(${JSON.stringify(marker)}); throw new Error('user aggregate exploded'); }
  return a + 1; }, merge: (a, b) => a + b, result: (a) => a };\n`);
    const job = ['--window', 'tumbling:100ms', '--agg', 'count,boom', '--aggregate-module', agg, '--http-port', '0', '--progress', '0'];
    const ref = join(dir, 'boom-ref.ndjson');
    expect((await runSabre(['run', '--source', `file:${input}`, '--sink', `file:${ref}`, ...job])).code).toBe(0);
    writeFileSync(marker, '');
    const out = join(dir, 'boom-out.ndjson');
    const r = await runSabre(['run', '--source', `file:${input}`, '--sink', `file:${out}`, ...job,
      '--checkpoint-dir', join(dir, 'boom-cp'), '--checkpoint-interval', '100ms']);
    expect(r.stderr).toMatch(/ERR_WORKER_CRASHED: worker \d failed: user aggregate exploded; restoring from the last checkpoint/);
    expect(r.stderr).toMatch(/restored from checkpoint \d+/);
    expect(r.code).toBe(0);
    expect(committedLines(out)).toEqual(readFileSync(ref, 'utf8').split('\n').filter(Boolean).sort());

    writeFileSync(marker, '');
    const failed = await runSabre(['run', '--source', `file:${input}`, '--sink', 'null', ...job,
      '--checkpoint-dir', join(dir, 'boom-cp2'), '--on-worker-error', 'fail']);
    expect(failed.code).not.toBe(0);
    expect(failed.stderr).toMatch(/ERR_WORKER_CRASHED/);
  }, 120_000);

  it('a corrupt newest checkpoint is detected by its checksum, reported, and the previous one is used', async () => {
    const cp = join(dir, 'corrupt-cp');
    const out = join(dir, 'corrupt-out.ndjson');
    const args = ['run', '--source', `file:${input}`, '--sink', `file:${out}`, ...JOB, '--checkpoint-dir', cp, '--checkpoint-interval', '100ms'];
    const first = startSabre(args);
    // Let it take a few checkpoints, then kill it.
    await new Promise((r) => setTimeout(r, 1500));
    first.child.kill('SIGKILL');
    await first.exit;
    const { listCheckpoints, checkpointPath } = await import('../dist/src/checkpoint/manifest.js');
    const ids = listCheckpoints(cp);
    expect(ids.length).toBeGreaterThanOrEqual(2);
    const snap = join(checkpointPath(cp, ids[0]!), 'worker-0.snap');
    const bytes = readFileSync(snap);
    bytes[Math.floor(bytes.length / 2)]! ^= 0xff;
    writeFileSync(snap, bytes);
    const second = await runSabre(args);
    expect(second.code).toBe(0);
    expect(second.stderr).toMatch(/skipped a corrupt checkpoint: .*checksum mismatch/);
    expect(second.stderr).toContain(`restored from checkpoint ${ids[1]}`);
    expect(committedLines(out)).toEqual(reference);
  }, 120_000);

  it('SIGTERM drains into a final checkpoint and exits 0; a restart continues the generator exactly where it stopped', async () => {
    const cp = join(dir, 'term-cp');
    const args = ['run', '--source', 'generator', '--rate', '50000', '--keys', '100', '--sink', 'null', '--http-port', '0', '--progress', '0',
      '--checkpoint-dir', cp, '--checkpoint-interval', '10s'];
    const run = startSabre(args);
    await new Promise((r) => setTimeout(r, 1500));
    run.child.kill('SIGTERM');
    const e = await run.exit;
    expect(e.code).toBe(0);
    expect(e.stderr).toContain('draining into a final checkpoint');
    const { listCheckpoints, checkpointPath } = await import('../dist/src/checkpoint/manifest.js');
    const [id] = listCheckpoints(cp);
    const manifest = JSON.parse(readFileSync(join(checkpointPath(cp, id!), 'manifest.json'), 'utf8'));
    expect(manifest.final).toBe(false);
    const records = manifest.sources.find((s: { name: string }) => s.name === 'generator').position.records;
    expect(records).toBeGreaterThan(10_000);
    expect(e.stderr).toContain(`${records.toLocaleString('en-US')} records`);
    // Restart: it restores and the generator resumes at that record.
    const again = startSabre([...args, '--count', String(records + 1000)]);
    const e2 = await again.exit;
    expect(e2.code).toBe(0);
    expect(e2.stderr).toContain(`restored from checkpoint ${id}`);
    expect(e2.stderr).toMatch(/done in .*: 1,000 records/);
  }, 60_000);
});
