import { describe, expect, it, beforeAll } from 'vitest';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpDir } from '../../helpers/engine-run.js';
import { committedLines, completeCheckpoints, runSabre, seeded, startSabre, waitFor, type Running } from '../../helpers/sabre-process.js';

const JOB = ['--window', 'sliding:1s,100ms', '--out-of-orderness', '150ms', '--http-port', '0', '--progress', '0', '--dead-letter', 'null'];
let dir: string;
let input: string;
let reference: string[];
/** Wall time of an uninterrupted run once started: kill moments scale with it, so a loaded machine still gets kills mid-run. */
let referenceMs = 1000;

/** `sabre run` printed its start line: restore done, workers looping, the source about to start. */
const started = (run: Running): Promise<void> => waitFor('the start line', () => /partitions=\d+ workers=/.test(run.stderr()), run);

/** Kill a run once its checkpoint dir holds at least `n` complete checkpoints (of a run that has not ended). */
async function killAfterCheckpoints(run: Running, cp: string, n: number): Promise<number[]> {
  await waitFor(`${n} complete checkpoints in ${cp}`, () => completeCheckpoints(cp).filter((m) => !m.final).length >= n, run);
  run.child.kill('SIGKILL');
  const e = await run.exit;
  expect(e.signal, e.stderr).toBe('SIGKILL');
  return completeCheckpoints(cp).map((m) => m.id);
}

beforeAll(async () => {
  dir = tmpDir();
  input = join(dir, 'in.ndjson');
  writeFileSync(input, execFileSync('node', ['bin/sabre.js', 'generate', '--count', '1000000', '--keys', '3000'], { maxBuffer: 1 << 30 }));
  const ref = join(dir, 'ref.ndjson');
  const run = startSabre(['run', '--source', `file:${input}`, '--sink', `file:${ref}`, ...JOB]);
  await started(run);
  const t0 = Date.now();
  const r = await run.exit;
  referenceMs = Date.now() - t0;
  expect(r.code, r.stderr).toBe(0);
  reference = readFileSync(ref, 'utf8').split('\n').filter(Boolean).sort();
  expect(reference.length).toBeGreaterThan(10_000);
}, 120_000);

describe('checkpoints: kill -9 and restart, file source → file sink', () => {
  it('20+ SIGKILLs at seeded random moments, restarts on random P and W: committed output equals an uninterrupted run', async () => {
    const rnd = seeded(20261122);
    // Kill moments count from each process's start line, not from spawn, so a loaded machine (slow node
    // start-up, slow restore) shifts them instead of spending them all before the first checkpoint.
    // 20 kills take ~30-90 s on 2 cores; the deadline leaves the test timeout room for a last
    // uninterrupted run and the comparison at several times referenceMs.
    const deadline = Date.now() + 200_000;
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
        const run = startSabre(['run', '--source', `file:${input}`, '--sink', `file:${out}`, ...JOB,
          '--checkpoint-dir', cp, '--checkpoint-interval', '150ms', '--partitions', String(P), '--workers', String(W)]);
        const { child, exit } = run;
        // A seeded moment in the first third of an uninterrupted run, counted from the start line.
        const delay = rnd() * Math.max(300, referenceMs * 0.3);
        await Promise.race([started(run), exit]);
        await new Promise((r) => setTimeout(r, delay));
        const live = child.exitCode === null && child.signalCode === null;
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
    process.stderr.write(`[kill test] ${liveKills} kills, ${restores} restores, ${rounds} rounds in ${((Date.now() - deadline + 200_000) / 1000).toFixed(1)} s `
      + `(uninterrupted run ${referenceMs} ms)\n`);
    expect(liveKills).toBeGreaterThanOrEqual(20);
    expect(restores).toBeGreaterThan(5);
  }, 300_000);
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
    // Kill it once it took at least two checkpoints (waiting on that, not on a clock).
    const ids = await killAfterCheckpoints(startSabre(args), cp, 2);
    const { checkpointPath } = await import('../../../dist/src/checkpoint/manifest.js');
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

  it('a manifest whose values were altered is detected by its own checksum, reported, and the previous checkpoint is used', async () => {
    const cp = join(dir, 'altered-cp');
    const out = join(dir, 'altered-out.ndjson');
    const args = ['run', '--source', `file:${input}`, '--sink', `file:${out}`, ...JOB, '--checkpoint-dir', cp, '--checkpoint-interval', '100ms'];
    const ids = await killAfterCheckpoints(startSabre(args), cp, 2);
    expect(ids.length).toBeGreaterThanOrEqual(2);
    const { checkpointPath } = await import('../../../dist/src/checkpoint/manifest.js');
    // Still valid JSON, every snapshot intact: only the source position is wrong (half-way back). Restored as
    // it is, the file source would re-read records the state already counted, and output would double.
    const path = join(checkpointPath(cp, ids[0]!), 'manifest.json');
    const m = JSON.parse(readFileSync(path, 'utf8'));
    const pos = m.sources[0].position;
    expect(pos.bytes).toBeGreaterThan(0);
    pos.bytes = Math.floor(pos.bytes / 2);
    pos.lines = Math.floor(pos.lines / 2);
    writeFileSync(path, JSON.stringify(m, null, 2) + '\n');
    const second = await runSabre(args);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stderr).toMatch(/skipped a corrupt checkpoint: .*manifest\.json: manifest checksum mismatch/);
    expect(second.stderr).toContain(`restored from checkpoint ${ids[1]}`);
    expect(committedLines(out)).toEqual(reference);
  }, 120_000);

  it('SIGTERM drains into a final checkpoint and exits 0; a restart continues the generator exactly where it stopped', async () => {
    const cp = join(dir, 'term-cp');
    const args = ['run', '--source', 'generator', '--rate', '50000', '--keys', '100', '--sink', 'null', '--http-port', '0', '--progress', '100ms',
      '--checkpoint-dir', cp, '--checkpoint-interval', '10s'];
    const run = startSabre(args);
    // Signal once the handler is installed and 20,000 records went in (a progress line says so), not after a fixed sleep.
    const recordsIn = (): number => Math.max(0, ...[...run.stderr().matchAll(/s in ([\d,]+) \(/g)].map((m) => Number(m[1]!.replace(/,/g, ''))));
    await waitFor('20,000 records in', () => recordsIn() >= 20_000, run);
    run.child.kill('SIGTERM');
    const e = await run.exit;
    expect(e.code).toBe(0);
    expect(e.stderr).toContain('draining into a final checkpoint');
    const { listCheckpoints, checkpointPath } = await import('../../../dist/src/checkpoint/manifest.js');
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
