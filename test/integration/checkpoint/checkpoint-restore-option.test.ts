import { describe, expect, it, beforeAll } from 'vitest';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpDir } from '../../helpers/engine-run.js';
import { committedLines, completeCheckpoints, runSabre, startSabre, waitFor } from '../../helpers/sabre-process.js';

// `--restore latest` and `--restore PATH` given explicitly: the run restores exactly that checkpoint
// (not merely the newest one, which the automatic restore would take) and its committed output is
// that of an uninterrupted run; a PATH that is no checkpoint fails with a stable code.
const JOB = ['--window', 'sliding:1s,100ms', '--out-of-orderness', '150ms', '--http-port', '0', '--progress', '0', '--dead-letter', 'null'];
let dir: string;
let input: string;
let reference: string[];
/** Newest first: the complete checkpoints the killed run left. */
let ids: number[];

beforeAll(async () => {
  dir = tmpDir();
  input = join(dir, 'in.ndjson');
  // Enough input for the killed run to outlast four checkpoints at any speed seen (600k records once ran in
  // 0.5 s, three checkpoints, and the run ended before the kill): 1.5M records at 50 ms checkpoints.
  writeFileSync(input, execFileSync('node', ['bin/sabre.js', 'generate', '--count', '1500000', '--keys', '2000'], { maxBuffer: 1 << 30 }));
  const ref = join(dir, 'ref.ndjson');
  const r = await runSabre(['run', '--source', `file:${input}`, '--sink', `file:${ref}`, ...JOB]);
  expect(r.code, r.stderr).toBe(0);
  reference = readFileSync(ref, 'utf8').split('\n').filter(Boolean).sort();
  expect(reference.length).toBeGreaterThan(10_000);
  // A run killed once it has taken four checkpoints (all kept), its committed and in-progress parts with it.
  const base = join(dir, 'killed');
  mkdirSync(base); // the sink's directory must exist (the checkpoint dir, created with its parents, is inside it)
  const run = startSabre(['run', '--source', `file:${input}`, '--sink', `file:${join(base, 'out.ndjson')}`, ...JOB,
    '--checkpoint-dir', join(base, 'cp'), '--checkpoint-interval', '50ms', '--checkpoints-retained', '10']);
  await waitFor('4 complete checkpoints', () => completeCheckpoints(join(base, 'cp')).filter((m) => !m.final).length >= 4, run);
  run.child.kill('SIGKILL');
  expect((await run.exit).signal).toBe('SIGKILL');
  ids = completeCheckpoints(join(base, 'cp')).map((m) => m.id);
  expect(ids.length).toBeGreaterThanOrEqual(4);
}, 120_000);

/** A fresh copy of the killed run's checkpoint dir and output, for one restore. */
function copyOfKilled(name: string): { cp: string; out: string; args: string[] } {
  const to = join(dir, name);
  cpSync(join(dir, 'killed'), to, { recursive: true });
  const cp = join(to, 'cp');
  const out = join(to, 'out.ndjson');
  return { cp, out, args: ['run', '--source', `file:${input}`, '--sink', `file:${out}`, ...JOB, '--checkpoint-dir', cp, '--checkpoint-interval', '100ms'] };
}

const chk = (cp: string, id: number): string => join(cp, `chk-${String(id).padStart(8, '0')}`);

describe('--restore', () => {
  it('latest restores the newest complete checkpoint; the output equals an uninterrupted run', async () => {
    const { cp, out, args } = copyOfKilled('latest');
    const e = await runSabre([...args, '--restore', 'latest']);
    expect(e.code, e.stderr).toBe(0);
    expect(e.stderr).toContain(`restored from checkpoint ${ids[0]} in ${cp}`);
    expect(committedLines(out)).toEqual(reference);
  }, 60_000);

  it('PATH of an older checkpoint directory restores that one, not the newest; the output still equals an uninterrupted run', async () => {
    const { cp, out, args } = copyOfKilled('older-dir');
    const older = ids[2]!;
    const e = await runSabre([...args, '--restore', chk(cp, older)]);
    expect(e.code, e.stderr).toBe(0);
    expect(e.stderr).toContain(`restored from checkpoint ${older} in ${cp}`);
    expect(e.stderr).not.toContain(`restored from checkpoint ${ids[0]}`);
    // The parts committed after `older` were discarded and produced again, once.
    expect(committedLines(out)).toEqual(reference);
  }, 60_000);

  it('PATH of a manifest.json restores that checkpoint', async () => {
    const { cp, out, args } = copyOfKilled('manifest-path');
    const e = await runSabre([...args, '--restore', join(chk(cp, ids[1]!), 'manifest.json')]);
    expect(e.code, e.stderr).toBe(0);
    expect(e.stderr).toContain(`restored from checkpoint ${ids[1]} in ${cp}`);
    expect(committedLines(out)).toEqual(reference);
  }, 60_000);

  it('a PATH that holds no checkpoint fails with ERR_INVALID_OPTION; a corrupt one with ERR_CHECKPOINT_CORRUPT, with no fallback', async () => {
    const { cp, out, args } = copyOfKilled('bad-path');
    const committedBefore = committedLines(out);
    for (const bad of [join(cp, 'chk-99999999'), join(dir, 'no-such-file.json')]) {
      const e = await runSabre([...args, '--restore', bad]);
      expect(e.code, e.stderr).toBe(1);
      expect(e.stderr.trim().split('\n').pop()).toMatch(/^sabre: ERR_INVALID_OPTION: --restore /);
    }
    // Explicitly asked for, a corrupt checkpoint is an error, not a reason to take another one.
    const snap = join(chk(cp, ids[1]!), 'worker-0.snap');
    const bytes = readFileSync(snap);
    bytes[bytes.length >> 1]! ^= 0xff;
    writeFileSync(snap, bytes);
    const e = await runSabre([...args, '--restore', chk(cp, ids[1]!)]);
    expect(e.code, e.stderr).toBe(1);
    expect(e.stderr.trim().split('\n').pop()).toMatch(/^sabre: ERR_CHECKPOINT_CORRUPT: .*worker-0\.snap/);
    expect(e.stderr).not.toContain('restored from checkpoint');
    // Nothing was run: the committed output is as the killed run left it.
    expect(committedLines(out)).toEqual(committedBefore);
  }, 60_000);
});
